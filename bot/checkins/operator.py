"""The check-in use cases of the `relais checkins` command line (operator, audited as such).

People are named (the operator does not know ids); the schedule's case is resolved from its id.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.checkins.closing import PostExitCheckin
from bot.checkins.service import CheckinService, Upcoming, rule_text
from bot.errors import InvalidInput, NotFound
from bot.usecases.admin import find_case, one_practitioner
from bot.usecases.base import EntryScope, operator_command
from storage import deliveries
from storage.records import Case
from storage.recurrence import OneOff, Recurrence, local_to_utc, parse_rule, zone

__all__ = ["CheckinOperator", "PostExitCheckin"]


class CheckinOperator(CheckinService):
    """`CheckinService` plus the command line's use cases."""

    @operator_command("checkin.cli_list")
    async def cli_list(self, scope: EntryScope, case_code: str | None = None) -> list[Upcoming]:
        scope.audit = False  # listing schedules shows codes and times only
        reads = scope.tx.checkin_reads
        case_ids = None
        if case_code:
            case = await reads.case_by_code(code=case_code.strip().upper())
            if case is None:
                raise NotFound(f"no case {case_code}")
            case_ids = [case.id]
        out: list[Upcoming] = []
        for s in await scope.tx.schedules.find(case_ids=case_ids):
            case = await reads.case_by_id(case_id=s.case_id)
            out.append(
                Upcoming(
                    s.id,
                    None,
                    case.code if case else "-",
                    rule_text(s),
                    s.status,
                    s.next_due_at,
                    s.reminded_id,
                    s.urgent,
                )
            )
        return out

    @operator_command("checkin.schedule")
    async def cli_add(
        self,
        scope: EntryScope,
        case_code: str,
        rule_text: str,
        *,
        time_zone: str | None = None,
        remind: str | None = None,
        escalate_to: str | None = None,
        grace: timedelta | None = None,
        urgent: bool = False,
    ) -> tuple[str, datetime | None]:
        """`relais checkins add`: people by name; `rule_text` as `parse_rule` reads it, or
        ``once-local:YYYY-MM-DDTHH:MM`` (wall clock in the zone). Returns (id, first due)."""
        tx = scope.tx
        case = await tx.checkin_reads.case_by_code(code=case_code.strip().upper())
        if case is None:
            raise NotFound(f"no case {case_code}")
        scope.case_id, scope.case_code = case.id, case.code
        reminded = (await one_practitioner(tx, remind)).id if remind else case.owner_id
        escalated = (await one_practitioner(tx, escalate_to)).id if escalate_to else None
        person = await tx.checkin_reads.practitioner(practitioner_id=reminded)
        tz = time_zone or (person.time_zone if person else self.config.checkins.default_time_zone)
        if rule_text.startswith("once-local:"):
            try:
                local = datetime.fromisoformat(rule_text.removeprefix("once-local:"))
            except ValueError as exc:
                raise InvalidInput(
                    f"expected a local time YYYY-MM-DDTHH:MM, found {rule_text}"
                ) from exc
            rule: Recurrence = OneOff(local_to_utc(local.date(), local.time(), zone(tz)))
        else:
            if rule_text.startswith("every:") and " from " not in rule_text:
                rule_text += f" from {tx.now.astimezone(zone(tz)).date().isoformat()}"
            rule = parse_rule(rule_text, tz)
        sid = await self._insert_schedule(
            tx,
            case.id,
            rule,
            reminded_id=reminded,
            escalate_to_id=escalated,
            grace=grace,
            urgent=urgent,
            created_by=None,
            detail=scope.detail,
        )
        schedule = await tx.schedules.get(schedule_id=sid)
        return sid, schedule.next_due_at if schedule else None

    @operator_command("checkin.schedule_status")
    async def cli_set_status(self, scope: EntryScope, schedule_id: str, action: str) -> str:
        schedule = await scope.tx.schedules.get(schedule_id=schedule_id)
        if schedule is None:
            raise NotFound(f"no check-in {schedule_id}")
        case = await scope.tx.checkin_reads.case_by_id(case_id=schedule.case_id)
        scope.case_id, scope.case_code = schedule.case_id, case.code if case else None
        scope.detail.update(schedule=schedule_id, change=action)
        return await self._change_status(scope.tx, None, schedule_id, action)

    @operator_command("case.close")
    async def close_with_follow_up(
        self, scope: EntryScope, code: str
    ) -> tuple[Case, list[PostExitCheckin]]:
        """`relais case close CODE --follow-up`: close the case and schedule the post-exit
        follow-up in the same transaction (`bot.checkins.closing`). On a case closed earlier
        without it, the steps still ahead are scheduled (once)."""
        case = await find_case(scope.tx, code)
        scope.case_id, scope.case_code = case.id, case.code
        closed = await self._close_in(scope.tx, case, follow_up=True)
        scope.detail = {"follow_up": len(closed.follow_up), "ended": closed.ended}
        return closed.case, list(closed.follow_up)

    @operator_command("delivery.list")
    async def cli_deliveries(
        self, scope: EntryScope, *, since: timedelta, failed_only: bool = False
    ) -> list[deliveries.Delivery]:
        """`relais deliveries`: every outgoing check-in message and its status (ids, codes)."""
        scope.audit = False  # statuses, kinds, case codes and ids only
        return await deliveries.list_deliveries(
            scope.tx.conn, since=scope.tx.now - since, failed_only=failed_only
        )
