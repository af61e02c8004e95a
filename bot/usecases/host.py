"""The host of every use case (`UseCases`), what a use case declares (`Permission`) and the
scopes its body receives; the decorators are in `bot.usecases.decorators`."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Literal

from bot.clock import Clock
from bot.config import Config
from bot.errors import RelaisError, UntrustedDevice
from bot.policy import Action, Relation, device_may
from bot.usecases.actors import Actor, CaseIds, _as_actor, _audited_as, _for_detail
from storage.database import Database
from storage.records import Case
from storage.tx import Tx

__all__ = [
    "ActorScope",
    "CaseScope",
    "CommitThenRaise",
    "EntryScope",
    "Permission",
    "UseCases",
    "mark",
    "permission_of",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Permission:
    """What a use case declares. `call` says how it is called when the authorization matrix
    test may drive it generically: "actor, case_code" (@requires), "actor" (@requires_role);
    empty for other decorators."""

    kind: Literal["case", "team", "dialog", "entry", "operator"]
    action: str
    call: str = ""


class CommitThenRaise(RelaisError):
    """Raised by a use case body: commit what it wrote, then raise `error` to the caller."""

    def __init__(self, error: RelaisError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass(slots=True)
class EntryScope:
    tx: Tx
    detail: dict[str, Any] = field(default_factory=dict)
    case_id: str | None = None
    case_code: str | None = None
    #: set to False by a body that touched no case data and needs no audit entry
    audit: bool = True


@dataclass(slots=True)
class ActorScope:
    tx: Tx
    actor: Actor
    detail: dict[str, Any] = field(default_factory=dict)
    case_id: str | None = None
    case_code: str | None = None


@dataclass(slots=True)
class CaseScope:
    tx: Tx
    actor: Actor
    case: Case
    relation: Relation
    detail: dict[str, Any] = field(default_factory=dict)


class UseCases:
    """Base of every class holding use cases. Subclasses get `db`, `clock` and `config`.

    Every public coroutine method must carry a permission decorator, or be named in
    `not_use_cases` (lifecycle methods, facades that only call decorated methods): a test
    enforces it.
    """

    db: Database
    clock: Clock
    config: Config
    not_use_cases: ClassVar[frozenset[str]] = frozenset()

    async def _fresh_actor(self, tx: Tx, actor: Actor) -> Actor:
        fresh = _as_actor(await tx.access.actor(practitioner_id=actor.practitioner_id))
        return replace(fresh, device_trust=actor.device_trust, operator=actor.operator)

    async def _check_device(self, actor: Actor, action: Action) -> None:
        """Refuse (audited) an action that needs a trusted device from one that is not."""
        if device_may(actor.device_trust, action):
            return
        trust = str(actor.device_trust)
        await self._audit_denied(actor, str(action), None, {"device": trust})
        raise UntrustedDevice(f"{action} refused from this device ({trust})", trust)

    async def _audit_denied(
        self,
        actor: Actor,
        action: str,
        case: CaseIds | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        kind, actor_id = _audited_as(actor)
        try:
            async with self.db.transaction(self.clock.now()) as tx:
                await tx.audit(
                    actor_kind=kind,
                    actor_id=actor_id,
                    action=action,
                    outcome="denied",
                    case_id=case.id if case else None,
                    case_code=case.code if case else None,
                    detail=_for_detail(actor, detail or {}),
                )
        except Exception:  # the refusal stands even if its audit entry cannot be written
            log.exception("could not audit a refused %s by %s", action, actor.practitioner_id)


def mark(fn: Any, permission: Permission) -> None:
    fn.__relais_permission__ = permission


def permission_of(fn: Any) -> Permission | None:
    found = getattr(fn, "__relais_permission__", None)
    return found if isinstance(found, Permission) else None
