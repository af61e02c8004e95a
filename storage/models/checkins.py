"""Check-in schedules, their occurrences (pages) and the outbox of messages to send.

Part of the schema (`storage.models`); changing it means writing a migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base
from storage.types import UTCDateTime

__all__ = ["CheckinOccurrenceRow", "CheckinScheduleRow", "OutboxRow"]


class CheckinScheduleRow(Base):
    __tablename__ = "checkin_schedules"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # weekly | every_n_days | monthly | once
    weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    every_days: Mapped[int | None] = mapped_column(Integer)
    at_time: Mapped[str | None] = mapped_column(String(5))  # "09:00" local wall clock
    time_zone: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # one-off
    reminded_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"))
    escalate_to_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    grace_seconds: Mapped[int] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    label_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # active | paused | cancelled | done
    #: runs after its case is closed (the post-exit follow-up, issue 16): other schedules end
    after_close: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckinOccurrenceRow(Base):
    """One due check-in (kind=checkin) or one page of an on-call contact (kind=page)."""

    __tablename__ = "checkin_occurrences"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # checkin | page
    schedule_id: Mapped[str | None] = mapped_column(
        ForeignKey("checkin_schedules.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[str | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str | None] = mapped_column(String(40))  # contact role paged
    requested_by: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    recipient_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deliver_at: Mapped[datetime] = mapped_column(UTCDateTime)  # after quiet hours
    status: Mapped[str] = mapped_column(String(16))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    #: the chain frozen when the occurrence started (JSON list of ids / fallback role)
    escalation_chain: Mapped[str] = mapped_column(Text, default="[]")
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """Messages to send: pending -> sending -> sent | failed | unreachable."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    practitioner_id: Mapped[str | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    payload_enc: Mapped[bytes] = mapped_column(LargeBinary)
    occurrence_id: Mapped[str | None] = mapped_column(
        ForeignKey("checkin_occurrences.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    #: how many times the message was claimed for sending (a claim cut short by a crash too)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: real send failures (the channel answered "failed"): what retries and giving up count
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(200))  # codes only, never content
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
