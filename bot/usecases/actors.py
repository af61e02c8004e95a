"""Who acts: the practitioner behind a request (`Actor`), built in one place (`actor_of`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.errors import NotAllowed
from bot.policy import DeviceTrust
from storage.repos.access import ActorRow

__all__ = ["Actor", "CaseIds", "actor_of"]


class CaseIds(Protocol):
    """What an audit entry records of a case (`Case`, or a check-in's `CaseRef`)."""

    @property
    def id(self) -> str: ...
    @property
    def code(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """The practitioner who acts (as identified by a channel)."""

    practitioner_id: str
    name: str
    roles: frozenset[str]
    team_id: str
    language: str
    time_zone: str
    #: the device this actor speaks from (Matrix cross-signing against the pinned identity);
    #: kept when the decorators re-read the actor, checked against NEEDS_TRUSTED_DEVICE
    device_trust: DeviceTrust = DeviceTrust.TRUSTED
    #: the shell user of an operator acting for this practitioner on the command line
    #: (`relais dialogs ... --as NAME`); empty when the practitioner acts themselves
    operator: str = ""
    #: the name of the practitioner's team (what a dialog's `teams:` names)
    team_name: str = ""


def _audited_as(actor: Actor) -> tuple[Literal["practitioner", "operator"], str | None]:
    """Who the audit entry names: the practitioner, or the operator acting for them (then
    the detail says for whom and which shell user: `for`, `shell_user`)."""
    return ("operator", None) if actor.operator else ("practitioner", actor.practitioner_id)


def _for_detail(actor: Actor, detail: dict[str, Any]) -> dict[str, Any]:
    if actor.operator:
        return {**detail, "for": actor.practitioner_id, "shell_user": actor.operator}
    return detail


def actor_of(row: ActorRow) -> Actor:
    """The actor behind a practitioner row of `tx.access` (identity or id)."""
    return Actor(
        practitioner_id=row.practitioner_id,
        name=row.name,
        roles=row.roles,
        team_id=row.team_id,
        language=row.language,
        time_zone=row.time_zone,
        team_name=row.team_name,
    )


def _as_actor(row: ActorRow | None) -> Actor:
    if row is None:
        raise NotAllowed("you are not enrolled (any more): ask your coordinator")
    return actor_of(row)
