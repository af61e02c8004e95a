"""Closing a case, with or without the post-exit follow-up (issue 16): the case owner from chat
(`/close K-7F3A`, `close_case_from_chat`, policy `case.close`), the operator from the command
line (`relais case close --follow-up`, `CheckinOperator.close_with_follow_up`). One
transaction: the case is closed, the check-ins that no longer run on it end (the monthly
review, what is left of the handover plan, the sharing record's review, any other), and the
follow-up is scheduled: one check-in for the case owner per step of `content/exit_report.yaml`
(`follow_up`), counted from the closing day, at the plan's time in the owner's time zone,
labelled `post_exit:<n>` so that its reminder and its escalation say what it is. Only these run
after closing (`after_close`). Mixed into `CheckinService`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import InvalidInput
from bot.exit.plan import load_exit_plan
from bot.lifecycle.schedules import POST_EXIT, end_with_case
from bot.policy import Action
from bot.usecases.admin import find_case
from bot.usecases.base import CaseScope, UseCases, requires
from storage.records import Case
from storage.recurrence import OneOff, local_to_utc, zone
from storage.tx import Tx

__all__ = ["CaseClosing", "ClosedCase", "PostExitCheckin"]


@dataclass(frozen=True, slots=True)
class PostExitCheckin:
    """One check-in of the post-exit follow-up (`content/exit_report.yaml`, `follow_up`)."""

    schedule_id: str
    due_at: datetime
    label: dict[str, str]


@dataclass(frozen=True, slots=True)
class ClosedCase:
    case: Case
    follow_up: tuple[PostExitCheckin, ...]
    #: check-ins of the case that were still to come and end with it
    ended: int


class CaseClosing(UseCases):
    """The closing use cases; `CheckinService` provides `_insert_schedule`."""

    _insert_schedule: Callable[..., Any]

    @requires(Action.CLOSE_CASE)
    async def close_case_from_chat(self, scope: CaseScope, follow_up: bool) -> ClosedCase:
        """`/close CODE`, confirmed: close the case, with the post-exit follow-up or not."""
        if scope.case.status != "open" and not follow_up:
            raise InvalidInput(f"case {scope.case.code} is already closed").saying(
                "already_closed", case=scope.case.code
            )
        closed = await self._close_in(scope.tx, scope.case, follow_up=follow_up)
        scope.detail = {"follow_up": len(closed.follow_up), "ended": closed.ended}
        return closed

    async def _close_in(self, tx: Tx, case: Case, *, follow_up: bool) -> ClosedCase:
        """Close `case` in the caller's transaction (see the module's docstring). On a case
        closed earlier, `follow_up` schedules the steps still ahead, once."""
        made: list[PostExitCheckin] = []
        if follow_up:
            made = await self._follow_up(tx, case)
        ended = 0
        if case.status == "open":
            await tx.cases.set_status(case_id=case.id, status="closed", now=tx.now)
            ended = await end_with_case(tx, case_id=case.id)
        return ClosedCase(await find_case(tx, case.code), tuple(made), ended)

    async def _follow_up(self, tx: Tx, case: Case) -> list[PostExitCheckin]:
        every = ("active", "paused", "cancelled", "done")
        if any(s.after_close for s in await tx.schedules.find(case_ids=[case.id], statuses=every)):
            raise InvalidInput(f"case {case.code} already has its post-exit follow-up").saying(
                "post_exit_already", case=case.code
            )
        plan = load_exit_plan(self.config.content_path)
        owner = await tx.checkin_reads.practitioner(practitioner_id=case.owner_id)
        tz = owner.time_zone if owner else self.config.checkins.default_time_zone
        closing_day = (case.closed_at or tx.now).astimezone(zone(tz)).date()
        made: list[PostExitCheckin] = []
        for number, step in enumerate(plan.follow_up, start=1):
            due = local_to_utc(closing_day + step.after, plan.follow_up_at, zone(tz))
            if due <= tx.now:
                continue  # a case closed long ago: only the steps still ahead
            sid = await self._insert_schedule(
                tx,
                case.id,
                OneOff(due),
                reminded_id=case.owner_id,
                escalate_to_id=None,
                grace=None,
                urgent=False,
                created_by=None,
                detail={},
                after_close=True,
                purpose=f"{POST_EXIT}:{number}",
            )
            made.append(PostExitCheckin(sid, due, step.label))
        return made
