"""People, teams, invites, cases, case notes, contacts and the on-call rota.

Part of the schema (`storage.models`); changing it means writing a migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base
from storage.types import UTCDateTime

__all__ = [
    "CaseMemberRow",
    "CaseRow",
    "ChannelIdentityRow",
    "ContactRow",
    "InviteAttemptRow",
    "InviteRow",
    "NoteRow",
    "OnCallRow",
    "PractitionerRoleRow",
    "PractitionerRow",
    "TeamRow",
]


class TeamRow(Base):
    __tablename__ = "teams"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # an organisation's team name
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the day of the month of the team's monthly case reviews (None: `[checkins] review_day`)
    review_day: Mapped[int | None] = mapped_column(Integer)


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
