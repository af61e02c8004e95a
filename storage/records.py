"""Frozen values the repositories return (never live ORM rows). Text fields are decrypted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storage.crypto import KeyRing

__all__ = [
    "Case",
    "CaseMember",
    "ChannelIdentity",
    "Contact",
    "Invite",
    "Note",
    "OnCallSlot",
    "Practitioner",
    "SealedName",
    "StoredSession",
    "Team",
    "case_relation",
]


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ChannelIdentity:
    channel: str
    user_id: str
    unreachable: bool
    #: Matrix: the master key pinned at enrolment, and a different one seen since (waiting
    #: for `relais admin trust`)
    pinned_master_key: str | None = None
    seen_master_key: str | None = None


@dataclass(frozen=True, slots=True)
class SealedName:
    """A practitioner's display name kept encrypted until a message needs it (the check-ins'
    batch lookups read many people and show few names): `open(keys)` decrypts it."""

    ciphertext: bytes
    practitioner_id: str

    def open(self, keys: KeyRing) -> str:
        return keys.decrypt(
            self.ciphertext,
            table="practitioners",
            column="display_name",
            row_id=self.practitioner_id,
        )


@dataclass(frozen=True, slots=True)
class Practitioner:
    """A practitioner as the directory holds them. `display_name` is the name decrypted
    (`tx.people`), or sealed (`tx.checkin_reads`: `name` then refuses, `display_name.open`)."""

    id: str
    team_id: str
    display_name: str | SealedName
    roles: frozenset[str]
    language: str
    time_zone: str
    quiet_start: str | None
    quiet_end: str | None
    unreachable: bool
    revoked: bool
    identities: tuple[ChannelIdentity, ...] = ()

    @property
    def name(self) -> str:
        if isinstance(self.display_name, SealedName):
            raise LookupError("this practitioner's name is sealed: open display_name")
        return self.display_name


@dataclass(frozen=True, slots=True)
class Invite:
    id: str
    practitioner_id: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    #: granted at redemption (None: an invite made before roles were deferred)
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    team_id: str
    code: str
    status: str
    owner_id: str
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseMember:
    case_id: str
    practitioner_id: str
    role: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    case_id: str
    case_code: str
    author_id: str
    author_name: str
    created_at: datetime
    body: str
    tags: tuple[str, ...]
    origin: str
    amends_id: str | None
    #: ids of the notes amending this one, oldest first
    amended_by: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case": self.case_code,
            "author_id": self.author_id,
            "author": self.author_name,
            "created_at": self.created_at.isoformat(),
            "body": self.body,
            "tags": list(self.tags),
            "origin": self.origin,
            "amends_id": self.amends_id,
            "amended_by": list(self.amended_by),
        }


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    team_id: str
    role: str
    key: str
    name: str
    phone: str | None
    hours: str | None
    notes: str | None
    practitioner_id: str | None
    priority: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": self.role,
            "key": self.key,
            "name": self.name,
            "phone": self.phone,
            "hours": self.hours,
            "notes": self.notes,
            "practitioner_id": self.practitioner_id,
            "priority": self.priority,
        }


@dataclass(frozen=True, slots=True)
class OnCallSlot:
    id: int
    team_id: str
    role: str
    contact_id: str
    starts_at: datetime
    ends_at: datetime
    position: int


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A chat's dialog session; `state` is the engine's `SessionState.to_dict()`."""

    id: str
    channel: str
    chat_id: str
    practitioner_id: str | None
    dialog_id: str | None
    dialog_version: int | None
    state: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


def case_relation(*, owner_id: str | None, practitioner_id: str, member: bool) -> str:
    """A practitioner's relation to a case, the one rule every lookup applies: "owner" (the
    case's owner, whatever the member list says), "member" (on its member list), else "other".
    The policy table (`bot.policy`) decides what each relation may do."""
    if owner_id == practitioner_id:
        return "owner"
    return "member" if member else "other"
