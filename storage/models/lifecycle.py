"""The case from release to exit (issue 16): the release date and its handover plan, the
continuity checklist's ticks, and the information-sharing record (the disclosure form).

Part of the schema (`storage.models`); changing it means writing a migration. Free text (the
agencies or roles a record names, who signed the form) is AES-GCM ciphertext bound to
`sharing_records|<column>|<id>`; plan steps and checklist items are ids from the content
(content/lifecycle), never text.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base
from storage.types import UTCDateTime

__all__ = ["CaseReleaseRow", "HandoverStepRow", "HandoverTickRow", "SharingRecordRow"]


class CaseReleaseRow(Base):
    """A case's release date (one per case)."""

    __tablename__ = "case_releases"
    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    release_on: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str | None] = mapped_column(ID)  # a practitioner id; None: the operator
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HandoverStepRow(Base):
    """One check-in of a case's handover plan: the schedule that carries it (a one-off for the
    owner), or none when its day had passed when the plan was set (status `skipped`)."""

    __tablename__ = "handover_steps"
    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    step_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    schedule_id: Mapped[str | None] = mapped_column(
        ForeignKey("checkin_schedules.id", ondelete="SET NULL"), index=True
    )
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # scheduled | skipped


class HandoverTickRow(Base):
    """A continuity checklist item of a case, ticked (done) or unticked, by whom and when."""

    __tablename__ = "handover_ticks"
    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    done: Mapped[bool] = mapped_column(Boolean)
    changed_by: Mapped[str | None] = mapped_column(ID)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SharingRecordRow(Base):
    """A case's information-sharing record: who may receive which categories (encrypted JSON),
    when the form was signed and by whom (encrypted), when it is reviewed, whether the person
    was told how information is shared, and the schedule reminding the owner of the review."""

    __tablename__ = "sharing_records"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    allowed_enc: Mapped[bytes] = mapped_column(LargeBinary)
    signed_on: Mapped[date | None] = mapped_column(Date)
    signed_by_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    review_on: Mapped[date | None] = mapped_column(Date)
    person_informed: Mapped[bool | None] = mapped_column(Boolean)
    review_schedule_id: Mapped[str | None] = mapped_column(
        ForeignKey("checkin_schedules.id", ondelete="SET NULL")
    )
    updated_by: Mapped[str | None] = mapped_column(ID)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
