"""The permission decorators of check-in use cases that are not about one case code.

Each only says how to find its subject (the occurrence, the schedule, no case) and how the
actor relates to it; the skeleton is the one of every use case (`bot.usecases.decorators.
guarded`): one transaction, the actor re-read from the database, the policy table checked, the
audit entry written in the same transaction, a refusal audited and raised as NotAllowed (from
an untrusted device: audited and raised as UntrustedDevice, `UseCases._check_device`).

- ``@requires_occurrence(action)``: a button on a reminder or a page, `method(actor, token)`.
  The occurrence id in the token is the sub-object: it must exist and its case must be of the
  actor's team. Allowed to anyone the frozen escalation chain has notified (a paged on-call
  person is usually not on the case) and to the practitioner who asked for a page (relation
  `notified` of the policy table), and otherwise by the policy table on the occurrence's case.
- ``@requires_schedule(action)``: a schedule's button or the chat's pause/resume/cancel,
  `method(actor, schedule_id)`. The schedule is read inside the transaction: a schedule that
  does not exist and one of another team get the same refusal (NotFound "no check-in ID",
  naming no case), from any device; otherwise the policy table decides on its case.
- ``@requires_any_case(action)``: about no case in particular (a page without a case, listing
  one's check-ins): allowed to roles that may do `action` as a member of a case.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.checkins import escalation as esc
from bot.checkins.tokens import parse_checkin_token
from bot.errors import InvalidInput, NotAllowed, NotFound, RelaisError, RoleNotAllowed
from bot.policy import Action, Relation
from bot.usecases.base import Actor, Permission, UseCases
from bot.usecases.decorators import Subject, guarded
from bot.usecases.host import mark
from storage import checkins_repo as repo
from storage.tx import Tx

__all__ = [
    "OccurrenceScope",
    "ScheduleScope",
    "TeamScope",
    "in_chain",
    "requires_any_case",
    "requires_occurrence",
    "requires_schedule",
]

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound=UseCases)


@dataclass(slots=True)
class OccurrenceScope:
    tx: Tx
    actor: Actor
    occurrence: repo.Occurrence
    case: repo.CaseRef | None
    token: str
    action: str


@dataclass(slots=True)
class ScheduleScope:
    tx: Tx
    actor: Actor
    schedule: repo.Schedule
    case: repo.CaseRef
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class TeamScope:
    tx: Tx
    actor: Actor


def requires_occurrence(
    action: Action,
) -> Callable[
    [Callable[Concatenate[S, OccurrenceScope, P], Awaitable[R]]],
    Callable[Concatenate[S, Actor, str, P], Awaitable[R]],
]:
    """A button on an occurrence: `method(actor, token, ...)` (see the module docstring)."""

    def decorate(
        fn: Callable[Concatenate[S, OccurrenceScope, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, Actor, str, P], Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(
            self: S, actor: Actor, token: str, /, *args: P.args, **kwargs: P.kwargs
        ) -> R:
            parsed = parse_checkin_token(token)
            if parsed is None:
                raise InvalidInput("this button is not a check-in button").saying(
                    "not_checkin_button"
                )

            async def locate(tx: Tx) -> Subject:
                fresh = await self._fresh_actor(tx, actor)
                occ = await tx.occurrences.get(occurrence_id=parsed.occurrence_id)
                case = (
                    await tx.checkin_reads.case_by_id(case_id=occ.case_id)
                    if occ and occ.case_id
                    else None
                )
                if occ is None or (case is not None and case.team_id != fresh.team_id):
                    raise NotFound("this check-in no longer exists").saying("checkin_gone")
                if occ.kind == "page" and case is None:
                    requester = (
                        await tx.checkin_reads.practitioner(practitioner_id=occ.requested_by)
                        if occ.requested_by
                        else None
                    )
                    if requester is None or requester.team_id != fresh.team_id:
                        raise NotFound("this check-in no longer exists").saying("checkin_gone")
                relations: list[Relation] = []
                if in_chain(occ, fresh.practitioner_id):
                    relations.append(Relation.NOTIFIED)
                if case is not None:
                    relations.append(
                        Relation(
                            await tx.cases.relation(
                                case_id=case.id,
                                owner_id=case.owner_id,
                                practitioner_id=fresh.practitioner_id,
                            )
                        )
                    )
                scope = OccurrenceScope(tx, fresh, occ, case, token, parsed.action)
                refusal = NotAllowed(f"you may not do this ({action})")
                return Subject(fresh, tuple(relations), scope, case, refusal)

            def audit(scope: OccurrenceScope) -> dict[str, Any]:
                return {
                    "actor_kind": "practitioner",
                    "actor_id": scope.actor.practitioner_id,
                    "case_id": scope.case.id if scope.case else None,
                    "case_code": scope.case.code if scope.case else None,
                    "detail": {"occurrence": scope.occurrence.id, "button": scope.action},
                }

            async def run(scope: OccurrenceScope) -> R:
                return await fn(self, scope, *args, **kwargs)

            return await guarded(self, actor, action, locate, run, audit)

        mark(wrapper, Permission("case", str(action)))
        return wrapper

    return decorate


def requires_schedule(
    action: Action,
) -> Callable[
    [Callable[Concatenate[S, ScheduleScope, P], Awaitable[R]]],
    Callable[Concatenate[S, Actor, str, P], Awaitable[R]],
]:
    """A schedule, by id: `method(actor, schedule_id, ...)` (see the module docstring)."""

    def decorate(
        fn: Callable[Concatenate[S, ScheduleScope, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, Actor, str, P], Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(
            self: S, actor: Actor, schedule_id: str, /, *args: P.args, **kwargs: P.kwargs
        ) -> R:
            async def locate(tx: Tx) -> Subject:
                fresh = await self._fresh_actor(tx, actor)
                schedule = await tx.schedules.get(schedule_id=schedule_id)
                case = (
                    await tx.checkin_reads.case_by_id(case_id=schedule.case_id)
                    if schedule
                    else None
                )
                if schedule is None or case is None or case.team_id != fresh.team_id:
                    raise NotFound(f"no check-in {schedule_id}").saying(
                        "no_checkin", checkin=schedule_id
                    )
                relation = Relation(
                    await tx.cases.relation(
                        case_id=case.id,
                        owner_id=case.owner_id,
                        practitioner_id=fresh.practitioner_id,
                    )
                )
                refusal: RelaisError = (
                    NotFound(f"no check-in {schedule_id}").saying(
                        "no_checkin", checkin=schedule_id
                    )
                    if relation is Relation.OTHER
                    else NotAllowed(f"you may not do this ({action}) on case {case.code}")
                )
                scope = ScheduleScope(tx, fresh, schedule, case, {"schedule": schedule.id})
                return Subject(fresh, (relation,), scope, case, refusal)

            def audit(scope: ScheduleScope) -> dict[str, Any]:
                return {
                    "actor_kind": "practitioner",
                    "actor_id": scope.actor.practitioner_id,
                    "case_id": scope.case.id,
                    "case_code": scope.case.code,
                    "detail": scope.detail,
                }

            async def run(scope: ScheduleScope) -> R:
                return await fn(self, scope, *args, **kwargs)

            return await guarded(self, actor, action, locate, run, audit)

        mark(wrapper, Permission("case", str(action)))
        return wrapper

    return decorate


def requires_any_case(
    action: Action,
) -> Callable[
    [Callable[Concatenate[S, TeamScope, P], Awaitable[R]]],
    Callable[Concatenate[S, Actor, P], Awaitable[R]],
]:
    """Not about one case: allowed to roles that may do `action` as a member of a case."""

    def decorate(
        fn: Callable[Concatenate[S, TeamScope, P], Awaitable[R]],
    ) -> Callable[Concatenate[S, Actor, P], Awaitable[R]]:
        @functools.wraps(fn)
        async def wrapper(self: S, actor: Actor, /, *args: P.args, **kwargs: P.kwargs) -> R:
            async def locate(tx: Tx) -> Subject:
                fresh = await self._fresh_actor(tx, actor)
                refusal = RoleNotAllowed(f"your role may not do this ({action})")
                return Subject(fresh, (Relation.MEMBER,), TeamScope(tx, fresh), None, refusal)

            def audit(scope: TeamScope) -> dict[str, Any]:
                return {"actor_kind": "practitioner", "actor_id": scope.actor.practitioner_id}

            async def run(scope: TeamScope) -> R:
                return await fn(self, scope, *args, **kwargs)

            return await guarded(self, actor, action, locate, run, audit)

        mark(wrapper, Permission("team", str(action)))
        return wrapper

    return decorate


def in_chain(occ: repo.Occurrence, practitioner_id: str) -> bool:
    """Was this person notified by the occurrence (or did they ask for the page)?"""
    if practitioner_id in (occ.recipient_id, occ.requested_by):
        return True
    if occ.escalation_chain in ("", "[]"):
        return False
    chain = esc.Chain.from_json(occ.escalation_chain)
    notified = chain.targets[: occ.escalation_level + 1]
    return any(t.practitioner_id == practitioner_id for t in notified)
