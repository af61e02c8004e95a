"""The buttons of reminders, escalations and pages (done, note, snooze, can't reach,
acknowledge), and of a schedule (pause, resume, cancel). Mixed into `CheckinService`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from bot.chat.checkins import text
from bot.checkins import escalation as esc
from bot.checkins.escalation_steps import apply_step, quiet_hours_of, state_of
from bot.checkins.escalation_steps import tell_requester as _tell_requester
from bot.checkins.permissions import (
    OccurrenceScope,
    requires_occurrence,
)
from bot.checkins.quiet_hours import delivery_time
from bot.checkins.results import ButtonOutcome, ScheduleState
from bot.checkins.tokens import SCHEDULE_ACTIONS, parse_checkin_token
from bot.errors import NotAllowed
from bot.messages import Reply
from bot.messaging.outbox import queue_message
from bot.policy import Action
from bot.usecases.base import Actor, UseCases
from storage.tx import Tx

__all__ = ["CANT_REACH_DIALOG", "CheckinButtons"]

#: the guidance dialog opened by "Can't reach the person"
CANT_REACH_DIALOG = "who_to_contact"
_SNOOZE = {"s1h": timedelta(hours=1), "s1d": timedelta(days=1)}


class CheckinButtons(UseCases):
    """Button use cases; `CheckinService` provides the rest of what they use."""

    #: a facade that only parses a token and calls a decorated use case
    not_use_cases: ClassVar[frozenset[str]] = frozenset({"handle_button"})
    _last_case: dict[str, str]
    _poke: Callable[[Tx], None]
    set_schedule_status: Callable[..., Any]

    async def handle_button(self, actor: Actor, token: str) -> ButtonOutcome | ScheduleState:
        """A button of a reminder, an escalation or a page (`ci.<occurrence>.<action>`), or of
        a schedule (`ci.<schedule>.sp|sr|sc`: pause, resume, cancel)."""
        parsed = parse_checkin_token(token)
        if parsed is not None and parsed.action in SCHEDULE_ACTIONS:
            action = SCHEDULE_ACTIONS[parsed.action]
            sid = parsed.occurrence_id
            status = await self.set_schedule_status(actor, sid, action)
            return ScheduleState(sid, self._last_case.get(sid, "-"), status)
        outcome: ButtonOutcome = await self._button(actor, token)
        return outcome

    @requires_occurrence(Action.ACK_CHECKIN)
    async def _button(self, scope: OccurrenceScope) -> ButtonOutcome:
        occ, tx = scope.occurrence, scope.tx
        code = scope.case.code if scope.case else "-"
        if scope.action == "note":
            return ButtonOutcome("note", code, occ.id)
        if occ.status not in ("waiting", "exhausted"):
            return ButtonOutcome("already", code, occ.id)
        me = scope.actor.practitioner_id
        chain = esc.Chain.from_json(occ.escalation_chain)
        if scope.action in _SNOOZE:
            if occ.kind != "checkin" or me != occ.recipient_id:
                raise NotAllowed("only the practitioner reminded can snooze a check-in").saying(
                    "snooze_not_reminded"
                )
            return await self._snooze(scope, chain, _SNOOZE[scope.action])
        step = esc.acknowledge(state_of(occ), me)
        if not await apply_step(tx, occ, chain, step, reason=scope.action):
            return ButtonOutcome("already", code, occ.id)
        if scope.action == "cant" and occ.kind == "checkin" and scope.case is not None:
            owner = scope.case.owner_id
            if owner != me:
                person = await tx.checkin_reads.practitioner(practitioner_id=owner)
                olang = person.language if person else "en"
                await queue_message(
                    tx,
                    key=f"{occ.id}.cant.{owner}",
                    practitioner_id=owner,
                    kind="cant_reach",
                    reply=Reply(text(olang, "cant_reach_alert", case=code), kind="alert"),
                    occurrence_id=occ.id,
                )
                self._poke(tx)
            return ButtonOutcome("cant_reach", code, occ.id, open_dialog=CANT_REACH_DIALOG)
        if occ.kind == "page" and occ.requested_by and occ.requested_by != me:
            await _tell_requester(tx, occ, scope.case, "page_acked", "acked", who=scope.actor.name)
            self._poke(tx)
        if scope.action == "done":
            return ButtonOutcome("done", code, occ.id)
        return ButtonOutcome("acknowledged", code, occ.id)

    async def _snooze(
        self, scope: OccurrenceScope, chain: esc.Chain, delay: timedelta
    ) -> ButtonOutcome:
        occ, tx = scope.occurrence, scope.tx
        code = scope.case.code if scope.case else "-"
        changed = await tx.occurrences.update(
            occurrence_id=occ.id,
            now=tx.now,
            expected_status=("waiting", "exhausted"),
            status="snoozed",
            next_action_at=None,
        )
        if not changed:
            return ButtonOutcome("already", code, occ.id)
        person = await tx.checkin_reads.practitioner(practitioner_id=scope.actor.practitioner_id)
        due = tx.now + delay
        deliver = delivery_time(
            due, scope.actor.time_zone, quiet_hours_of(person) if person else None
        )
        await tx.occurrences.add(
            kind="checkin",
            schedule_id=occ.schedule_id,
            case_id=occ.case_id,
            recipient_id=occ.recipient_id,
            due_at=due,
            deliver_at=deliver,
            now=tx.now,
        )
        del chain
        return ButtonOutcome("snoozed", code, occ.id, snoozed_until=deliver)
