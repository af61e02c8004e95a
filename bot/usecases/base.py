"""What every use case shares: who acts, the permission decorators, one transaction each.

A use case is an ``async`` method of a `UseCases` subclass decorated with exactly one of:

- ``@requires(Action.X)``: about one case. Called as ``method(actor, case_code, ...)``; the
  body receives a `CaseScope` (transaction, fresh actor, case, relation) instead.
- ``@requires_role(Action.X)``: not about one case. Called as ``method(actor, ...)``; the body
  receives an `ActorScope`.
- ``@channel_entry("why")``: called by a channel before anyone is identified (identify, invite
  redemption, sessions, update dedup). The body receives an `EntryScope`.
- ``@operator_command("audit action")``: the `relais` command line (whoever runs it holds the
  database and the keys). The body receives an `EntryScope`; the audit actor is "operator".

The decorator opens one transaction, re-reads the actor's roles from the database (a revoked
practitioner is refused), computes the relation, checks `bot.policy.POLICY`, runs the body and
writes the audit entry in the same transaction (the body may add ids to ``scope.detail``). A
refusal raises NotAllowed and is itself audited (outcome "denied", in its own transaction).
A body raises `CommitThenRaise(error)` to keep its writes (e.g. a failed invite attempt) and
still report the error.

The actor also carries the trust in the device the request came from (`Actor.device_trust`,
set by the chat turn from the practitioner's pinned Matrix identity): an action of
`bot.policy.NEEDS_TRUSTED_DEVICE` from a device that is not trusted raises `UntrustedDevice`,
audited as denied with the reason, before anything is read (`UseCases._check_device`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Concatenate, Literal, ParamSpec, Protocol, TypeVar

from bot.clock import Clock
from bot.config import Config
from bot.errors import NotAllowed, NotFound, NotYourCase, RelaisError, UntrustedDevice
from bot.policy import Action, DeviceTrust, Relation, device_may, is_allowed, scope_of
from storage.records import Case
from storage.repos.access import ActorRow
from storage.retry import retry_conflicts
from storage.tx import Database, Tx

__all__ = [
    "Actor",
    "ActorScope",
    "CaseScope",
    "CommitThenRaise",
    "EntryScope",
    "Permission",
    "UseCases",
    "actor_of",
    "channel_entry",
    "operator_command",
    "operator_task",
    "permission_of",
    "requires",
    "requires_role",
]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="UseCases")


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


def _audited_as(actor: Actor) -> tuple[Literal["practitioner", "operator"], str | None]:
    """Who the audit entry names: the practitioner, or the operator acting for them (then
    the detail says for whom and which shell user: `for`, `shell_user`)."""
    return ("operator", None) if actor.operator else ("practitioner", actor.practitioner_id)


def _for_detail(actor: Actor, detail: dict[str, Any]) -> dict[str, Any]:
    if actor.operator:
        return {**detail, "for": actor.practitioner_id, "shell_user": actor.operator}
    return detail


@dataclass(frozen=True, slots=True)
class Permission:
    """What a use case declares. `call` says how it is called when the authorization matrix
    test may drive it generically: "actor, case_code" (@requires), "actor" (@requires_role);
    empty for other decorators."""

    kind: Literal["case", "team", "entry", "operator"]
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


def actor_of(row: ActorRow) -> Actor:
    """The actor behind a practitioner row of `tx.access` (identity or id)."""
    return Actor(
        practitioner_id=row.practitioner_id,
        name=row.name,
        roles=row.roles,
        team_id=row.team_id,
        language=row.language,
        time_zone=row.time_zone,
    )


def _as_actor(row: ActorRow | None) -> Actor:
    if row is None:
        raise NotAllowed("you are not enrolled (any more): ask your coordinator")
    return actor_of(row)


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


def _mark(fn: Any, permission: Permission) -> None:
    fn.__relais_permission__ = permission


def permission_of(fn: Any) -> Permission | None:
    found = getattr(fn, "__relais_permission__", None)
    return found if isinstance(found, Permission) else None


def requires(
    action: Action,
) -> Callable[
    [Callable[Concatenate[S, CaseScope, P], Awaitable[R]]],
    Callable[Concatenate[S, Actor, str, P], Awaitable[R]],
]:
    """A use case about one case: `method(actor, case_code, ...)`."""
    if scope_of(action) != "case":
        raise TypeError(f"{action} is not about one case: use @requires_role")

    def decorate(
        fn: Callable[Concatenate[S, CaseScope, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, Actor, str, P], Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(
            self: S, actor: Actor, case_code: str, /, *args: P.args, **kwargs: P.kwargs
        ) -> R:
            denied: Case | None = None
            await self._check_device(actor, action)
            async with self.db.transaction(self.clock.now()) as tx:
                row, case, relation_name = await tx.access.actor_and_case(
                    practitioner_id=actor.practitioner_id, code=case_code.strip().upper()
                )
                fresh = replace(_as_actor(row), device_trust=actor.device_trust)
                if case is None or case.team_id != fresh.team_id:
                    raise NotFound(f"no case {case_code.strip().upper()}")
                relation = Relation(relation_name)
                if is_allowed(fresh.roles, action, relation):
                    scope = CaseScope(tx, fresh, case, relation)
                    result = await fn(self, scope, *args, **kwargs)
                    await tx.audit(
                        actor_kind="practitioner",
                        actor_id=fresh.practitioner_id,
                        action=str(action),
                        case_id=case.id,
                        case_code=case.code,
                        detail=scope.detail,
                    )
                    return result
                denied = case
            await self._audit_denied(actor, str(action), denied)
            if relation is Relation.OTHER:  # not one's case: the very answer of a missing one
                raise NotYourCase(f"no case {denied.code}")
            raise NotAllowed(f"you may not do this ({action}) on case {denied.code}")

        _mark(wrapper, Permission("case", str(action), "actor, case_code"))
        return retry_conflicts(wrapper)

    return decorate


def requires_role(
    action: Action,
) -> Callable[
    [Callable[Concatenate[S, ActorScope, P], Awaitable[R]]],
    Callable[Concatenate[S, Actor, P], Awaitable[R]],
]:
    """A use case not about one case: `method(actor, ...)`; allowed by role alone."""
    if scope_of(action) != "team":
        raise TypeError(f"{action} is about one case: use @requires")

    def decorate(
        fn: Callable[Concatenate[S, ActorScope, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, Actor, P], Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(self: S, actor: Actor, /, *args: P.args, **kwargs: P.kwargs) -> R:
            await self._check_device(actor, action)
            async with self.db.transaction(self.clock.now()) as tx:
                fresh = await self._fresh_actor(tx, actor)
                if is_allowed(fresh.roles, action, Relation.OTHER):
                    scope = ActorScope(tx, fresh)
                    result = await fn(self, scope, *args, **kwargs)
                    kind, actor_id = _audited_as(fresh)
                    await tx.audit(
                        actor_kind=kind,
                        actor_id=actor_id,
                        action=str(action),
                        case_id=scope.case_id,
                        case_code=scope.case_code,
                        detail=_for_detail(fresh, scope.detail),
                    )
                    return result
            await self._audit_denied(actor, str(action), None)
            raise NotAllowed(f"your role may not do this ({action})")

        _mark(wrapper, Permission("team", str(action), "actor"))
        return retry_conflicts(wrapper)

    return decorate


def _entry(
    kind: Literal["entry", "operator"], action: str, *, autocommit: bool = False
) -> Callable[
    [Callable[Concatenate[S, EntryScope, P], Awaitable[R]]],
    Callable[Concatenate[S, P], Awaitable[R]],
]:
    def decorate(
        fn: Callable[Concatenate[S, EntryScope, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, P], Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            deferred: CommitThenRaise | None = None
            opened = self.db.autocommit if autocommit else self.db.transaction
            async with opened(self.clock.now()) as tx:
                scope = EntryScope(tx, audit=kind == "operator")
                try:
                    result = await fn(self, scope, *args, **kwargs)
                except CommitThenRaise as raised:
                    # leave the block normally so that the writes are committed
                    deferred = raised
                outcome = "failed" if deferred is not None else "ok"
                if scope.audit and autocommit:  # the chain's head must be read under a lock
                    raise RuntimeError(f"{action}: an autocommit use case cannot be audited")
                if scope.audit:
                    await _audit_entry(tx, kind, action, scope, outcome=outcome)
            if deferred is not None:
                raise deferred.error from None
            return result

        _mark(wrapper, Permission(kind, action))
        return retry_conflicts(wrapper)

    return decorate


async def _audit_entry(
    tx: Tx, kind: Literal["entry", "operator"], action: str, scope: EntryScope, outcome: str
) -> None:
    await tx.audit(
        actor_kind="operator" if kind == "operator" else "system",
        actor_id=scope.detail.pop("actor_id", None),
        action=action,
        outcome=outcome,
        case_id=scope.case_id,
        case_code=scope.case_code,
        detail=scope.detail,
    )


def channel_entry(
    action: str, *, autocommit: bool = False
) -> Callable[
    [Callable[Concatenate[S, EntryScope, P], Awaitable[R]]],
    Callable[Concatenate[S, P], Awaitable[R]],
]:
    """A use case a channel calls before anyone is identified; audited only if the body
    sets ``scope.audit = True`` (e.g. an invite redeemed).

    ``autocommit=True``: each statement of the body commits on its own (`Database.autocommit`:
    on PostgreSQL no BEGIN and COMMIT round trips), for the few statements of every chat
    message, each complete by itself; such a body is never audited."""
    return _entry("entry", action, autocommit=autocommit)


def operator_command(
    action: str,
) -> Callable[
    [Callable[Concatenate[S, EntryScope, P], Awaitable[R]]],
    Callable[Concatenate[S, P], Awaitable[R]],
]:
    """A use case of the `relais` command line, audited with actor "operator"."""
    return _entry("operator", action)


def operator_task(
    action: str,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """A long command-line task that runs several transactions of its own (key rotation):
    the body opens them and writes its audit entries itself."""

    def decorate(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        _mark(fn, Permission("operator", action))
        return fn

    return decorate
