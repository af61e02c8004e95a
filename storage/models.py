"""The database schema: SQLAlchemy 2 `Mapped[]` models for every issue.

Columns ending in `_enc` hold AES-GCM ciphertext (`storage.crypto`), bound to
`table|column|row id`; rows holding ciphertext therefore get their id before insertion
(a random 32-hex string, see `new_id`). Datetimes are aware UTC (`UTCDateTime`).
Repositories use Core statements on these classes and return frozen dataclasses.

Changing this file means writing a migration in `storage/migrations/versions/`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

__all__ = [
    "AuditEntryRow",
    "AuditHead",
    "Base",
    "CaseMemberRow",
    "CaseRow",
    "ChannelIdentityRow",
    "CheckinOccurrenceRow",
    "CheckinScheduleRow",
    "ContactRow",
    "DialogDraftRow",
    "DialogDraftUploadRow",
    "DialogReviewViewRow",
    "DialogSessionRow",
    "DialogVersionRow",
    "InboundUpdateRow",
    "InviteAttemptRow",
    "InviteRow",
    "KeyRotationStateRow",
    "NoteRow",
    "OnCallRow",
    "OutboxRow",
    "PractitionerRoleRow",
    "PractitionerRow",
    "ProcessedUpdateRow",
    "TeamRow",
    "new_id",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(32)


def new_id() -> str:
    """A random row id (known before insertion, so ciphertext can be bound to it)."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# -- people -------------------------------------------------------------------------------------


class TeamRow(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # an organisation's team name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PractitionerRow(Base):
    __tablename__ = "practitioners"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    display_name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    #: keyed hash (HMAC) of the normalised name, under the key that encrypted the name
    name_hash: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8))
    time_zone: Mapped[str] = mapped_column(String(64))
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "22:00" local
    quiet_end: Mapped[str | None] = mapped_column(String(5))  # "07:00" local
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PractitionerRoleRow(Base):
    __tablename__ = "practitioner_roles"
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)


class ChannelIdentityRow(Base):
    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))  # the platform's fixed id, not a username
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Matrix: the cross-signing master key pinned when the invite was redeemed (or confirmed
    #: by `relais admin trust`); public key material (unpadded base64), not a secret
    pinned_master_key: Mapped[str | None] = mapped_column(String(64))
    #: the different master key last seen from this identity, waiting for `relais admin trust`
    seen_master_key: Mapped[str | None] = mapped_column(String(64))


class InviteRow(Base):
    __tablename__ = "invites"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_channel: Mapped[str | None] = mapped_column(String(16))
    #: the role granted when the code is redeemed (never before, never after it expired)
    role: Mapped[str | None] = mapped_column(String(32))


class InviteAttemptRow(Base):
    """Failed redemption attempts, per chat identity (rate limit)."""

    __tablename__ = "invite_attempts"
    __table_args__ = (Index("ix_invite_attempts_identity", "channel", "user_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- cases and notes ----------------------------------------------------------------------------


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # pseudonymous, never a name
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    owner_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseMemberRow(Base):
    __tablename__ = "case_members"
    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(20))  # the member's role on this case
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NoteRow(Base):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_case_created", "case_id", "created_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    body_enc: Mapped[bytes] = mapped_column(LargeBinary)
    #: ",progress,trigger," (fixed vocabulary, delimited for LIKE filters)
    tags: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(80))  # chat | dialog:<id> | cli
    amends_id: Mapped[str | None] = mapped_column(
        ForeignKey("notes.id", ondelete="CASCADE"), index=True
    )


# -- contacts -----------------------------------------------------------------------------------


class ContactRow(Base):
    """The contacts directory: a role served by a person or a service."""

    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_team_role", "team_id", "role"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    role: Mapped[str] = mapped_column(String(40))  # content/contact_roles.yaml key
    key: Mapped[str] = mapped_column(String(64))  # stable key from the import file
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    hours_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    practitioner_id: Mapped[str | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="SET NULL")
    )
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OnCallRow(Base):
    """The on-call rota: who answers for a role between two instants, in order."""

    __tablename__ = "oncall_rota"
    __table_args__ = (Index("ix_oncall_team_role_time", "team_id", "role", "starts_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"))
    role: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    position: Mapped[int] = mapped_column(Integer, default=0)  # escalation order in the slot


# -- chat: sessions and deduplication -----------------------------------------------------------


class DialogSessionRow(Base):
    __tablename__ = "dialog_sessions"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(255))
    practitioner_id: Mapped[str | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    dialog_id: Mapped[str | None] = mapped_column(String(64))
    dialog_version: Mapped[int | None] = mapped_column(Integer)
    state_enc: Mapped[bytes] = mapped_column(LargeBinary)  # engine state JSON, encrypted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ProcessedUpdateRow(Base):
    __tablename__ = "processed_updates"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class InboundUpdateRow(Base):
    """An update received from a channel, kept (encrypted) until the chat layer has handled it
    (its id is in `processed_updates`): what a killed process had fetched is replayed at start."""

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    payload_enc: Mapped[bytes] = mapped_column(LargeBinary)  # the update's JSON, encrypted


# -- publishing (dialog versions) ---------------------------------------------------------------


class DialogVersionRow(Base):
    __tablename__ = "dialog_versions"
    __table_args__ = (UniqueConstraint("dialog_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dialog_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)  # guidance YAML (not case data)
    checksum: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))  # bundled | draft | rollback
    author_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 0003: what was tested and reviewed, and who really acted
    tests: Mapped[str | None] = mapped_column(Text)  # transcript tests YAML published with it
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publisher_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    # the shell user of an operator who acted for the author/reviewer/publisher (`--as NAME`)
    author_via: Mapped[str | None] = mapped_column(String(64))
    reviewer_via: Mapped[str | None] = mapped_column(String(64))
    publisher_via: Mapped[str | None] = mapped_column(String(64))


class DialogDraftRow(Base):
    __tablename__ = "dialog_drafts"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    dialog_id: Mapped[str] = mapped_column(String(64), index=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # draft|in_review|approved|rejected|published
    base_version: Mapped[int | None] = mapped_column(Integer)
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    review_comment_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 0003: the checksum the reviewer approved; the shell user of an operator acting for them
    reviewed_checksum: Mapped[str | None] = mapped_column(String(64))
    author_via: Mapped[str | None] = mapped_column(String(64))
    reviewer_via: Mapped[str | None] = mapped_column(String(64))


class DialogReviewViewRow(Base):
    """A draft revision shown to a reviewer (`/review`): a typed `/approve` approves only the
    revision that reviewer was last shown."""

    __tablename__ = "dialog_review_views"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    draft_id: Mapped[str] = mapped_column(
        ForeignKey("dialog_drafts.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"))
    checksum: Mapped[str] = mapped_column(String(64))
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DialogDraftUploadRow(Base):
    """A dialog or tests file sent by a practitioner (`[publishing] drafts_per_hour`)."""

    __tablename__ = "dialog_draft_uploads"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- check-ins, pages and the outbox ------------------------------------------------------------


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


# -- audit and key rotation ---------------------------------------------------------------------


class AuditEntryRow(Base):
    """One HMAC-chained audit entry. No foreign keys: entries outlive erased cases."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_case_code", "case_code"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(16))  # practitioner | operator | system
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | denied
    case_id: Mapped[str | None] = mapped_column(String(32))
    case_code: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON of ids, never content
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last entry of the chain; locked by each writer so the chain never forks."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class KeyRotationStateRow(Base):
    __tablename__ = "key_rotation_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_key_id: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_table: Mapped[str | None] = mapped_column(String(64))
    last_id: Mapped[str | None] = mapped_column(String(64))
    rows_done: Mapped[int] = mapped_column(Integer, default=0)


class UsageCountRow(Base):
    """How often something happened at one dialog node on one day (issue 18: evidence). Figures
    about guidance, never about people: no practitioner, case, chat or session column, and
    nothing finer than a day, so no row can be joined back to a conversation."""

    __tablename__ = "usage_counts"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dialog_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dialog_version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: visit | choice | exit | sos | page | emergency | time
    measure: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: the option (choice), the reason (exit), the role (page), the duration bucket (time)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class ReferralCountRow(Base):
    """How many conversations reached a page of a human or an emergency screen, per team, day,
    dialog and entry point (`/crisis`, `/sos`, a button, a goto). The team, never a person."""

    __tablename__ = "referral_counts"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # "" = no team
    dialog_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" = none running
    entry: Mapped[str] = mapped_column(String(16), primary_key=True)  # crisis|sos|button|goto
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # page | emergency
    count: Mapped[int] = mapped_column(Integer)


from storage import models_cluster as _models_cluster  # noqa: E402, F401  (its tables join Base)
