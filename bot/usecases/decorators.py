"""The permission decorators of every use case (see `bot.usecases.base`)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar

from bot.errors import NotAllowed, NotFound, NotYourCase, RelaisError, RoleNotAllowed
from bot.policy import Action, Relation, is_allowed, scope_of
from bot.usecases.actors import Actor, CaseIds, _as_actor, _audited_as, _for_detail
from bot.usecases.host import (
    ActorScope,
    CaseScope,
    CommitThenRaise,
    EntryScope,
    Permission,
    UseCases,
    mark,
)
from storage.retry import retry_conflicts
from storage.tx import Tx

__all__ = [
    "Subject",
    "channel_entry",
    "channel_statements",
    "decide",
    "guarded",
    "operator_command",
    "operator_task",
    "requires",
    "requires_role",
]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound=UseCases)


@dataclass(slots=True)
class Subject:
    """What a decorator found for one call, inside its transaction: the actor as re-read, how
    they relate to what they act on, the scope the body receives, the case a refusal's audit
    entry names, and the refusal raised when the policy table says no."""

    actor: Actor
    relations: tuple[Relation, ...]
    scope: Any
    case: CaseIds | None
    refusal: RelaisError


async def guarded(
    host: UseCases,
    actor: Actor,
    action: Action,
    locate: Callable[[Tx], Awaitable[Subject]],
    run: Callable[[Any], Awaitable[R]],
    audit: Callable[[Any], dict[str, Any]],
) -> R:
    """The one skeleton of every decorator that checks the policy: refuse an untrusted device
    (audited), open one transaction, `locate` the subject (it raises NotFound for what the
    actor may not know of), ask `bot.policy` for the subject's relations, `run` the body and
    write the audit entry (`audit(scope)`: its fields) in the same transaction; a refusal is
    audited as denied, in its own transaction, then raised."""
    await host._check_device(actor, action)
    running = False
    try:
        async with host.db.transaction(host.clock.now()) as tx:
            subject = await locate(tx)
            if is_allowed(subject.actor.roles, action, subject.relations):
                running = True
                result = await run(subject.scope)
                await tx.audit(action=str(action), **audit(subject.scope))
                return result
    except NotAllowed as refused:
        if not running:
            raise
        # a who-may rule about the body's own subject (e.g. a draft: `bot.policy` says so, see
        # `decide`): nothing the body wrote is kept, and the refusal is audited like any other,
        # with the ids the body had noted (which draft, which dialog)
        noted = getattr(subject.scope, "detail", {})
        await host._audit_denied(
            actor, str(action), subject.case, {**noted, "refused": refused.rule}
        )
        raise
    await host._audit_denied(actor, str(action), subject.case)
    raise subject.refusal


def decide(roles: frozenset[str], action: Action, relation: Relation, refusal: NotAllowed) -> None:
    """Inside a body: the policy table's answer for a sub-object the body found (a draft and
    its author); raises `refusal` (audited as denied by `guarded`) when the table says no."""
    if not is_allowed(roles, action, relation):
        refusal.rule = str(action)
        raise refusal


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
            code = case_code.strip().upper()

            async def locate(tx: Tx) -> Subject:
                row, case, relation_name = await tx.access.actor_and_case(
                    practitioner_id=actor.practitioner_id, code=code
                )
                fresh = replace(
                    _as_actor(row), device_trust=actor.device_trust, operator=actor.operator
                )
                if case is None or case.team_id != fresh.team_id:
                    raise NotFound(f"no case {code}").saying("no_case", case=code)
                relation = Relation(relation_name)
                refusal: RelaisError = (
                    NotYourCase(f"no case {case.code}").saying("no_case", case=case.code)
                    if relation is Relation.OTHER
                    else NotAllowed(f"you may not do this ({action}) on case {case.code}")
                )
                scope = CaseScope(tx, fresh, case, relation)
                return Subject(fresh, (relation,), scope, case, refusal)

            def audit(scope: CaseScope) -> dict[str, Any]:
                kind, actor_id = _audited_as(scope.actor)  # an operator acting with --as
                return {
                    "actor_kind": kind,
                    "actor_id": actor_id,
                    "case_id": scope.case.id,
                    "case_code": scope.case.code,
                    "detail": _for_detail(scope.actor, scope.detail),
                }

            async def run(scope: CaseScope) -> R:
                return await fn(self, scope, *args, **kwargs)

            return await guarded(self, actor, action, locate, run, audit)

        mark(wrapper, Permission("case", str(action), "actor, case_code"))
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
            async def locate(tx: Tx) -> Subject:
                fresh = await self._fresh_actor(tx, actor)
                refusal = RoleNotAllowed(f"your role may not do this ({action})")
                return Subject(fresh, (Relation.OTHER,), ActorScope(tx, fresh), None, refusal)

            def audit(scope: ActorScope) -> dict[str, Any]:
                kind, actor_id = _audited_as(scope.actor)
                return {
                    "actor_kind": kind,
                    "actor_id": actor_id,
                    "case_id": scope.case_id,
                    "case_code": scope.case_code,
                    "detail": _for_detail(scope.actor, scope.detail),
                }

            async def run(scope: ActorScope) -> R:
                return await fn(self, scope, *args, **kwargs)

            return await guarded(self, actor, action, locate, run, audit)

        mark(wrapper, Permission("team", str(action), "actor"))
        return retry_conflicts(wrapper)

    return decorate


def _entry(
    kind: Literal["entry", "operator"], action: str, *, standalone: bool = False
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
            opened = self.db.autocommit if standalone else self.db.transaction
            async with opened(self.clock.now()) as tx:
                scope = EntryScope(tx, audit=kind == "operator")
                try:
                    result = await fn(self, scope, *args, **kwargs)
                except CommitThenRaise as raised:
                    # leave the block normally so that the writes are committed
                    deferred = raised
                outcome = "failed" if deferred is not None else "ok"
                if scope.audit and standalone:  # the chain's head must be read under a lock
                    raise RuntimeError(f"{action}: channel statements cannot be audited")
                if scope.audit:
                    await _audit_entry(tx, kind, action, scope, outcome=outcome)
            if deferred is not None:
                raise deferred.error from None
            return result

        mark(wrapper, Permission(kind, action))
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
    action: str,
) -> Callable[
    [Callable[Concatenate[S, EntryScope, P], Awaitable[R]]],
    Callable[Concatenate[S, P], Awaitable[R]],
]:
    """A use case a channel calls before anyone is identified, in one transaction; audited
    only if the body sets ``scope.audit = True`` (e.g. an invite redeemed)."""
    return _entry("entry", action)


def channel_statements(
    action: str,
) -> Callable[
    [Callable[Concatenate[S, EntryScope, P], Awaitable[R]]],
    Callable[Concatenate[S, P], Awaitable[R]],
]:
    """A channel entry whose statements are each complete by themselves, so that none needs
    the others in one transaction: the statements of every chat message (dedupe, sender and
    conversation, save), the durable inbox, leases and webhook claims. The body gets the
    `EntryScope` of `Database.autocommit`, storage's one choice of how they run (PostgreSQL:
    each commits on its own, no BEGIN and COMMIT round trips; SQLite: one transaction, where
    they cost microseconds). It is never audited: the audit chain's head is read and moved
    under a lock in a transaction (a body that sets ``scope.audit`` fails at run time)."""
    return _entry("entry", action, standalone=True)


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
        mark(fn, Permission("operator", action))
        return fn

    return decorate
