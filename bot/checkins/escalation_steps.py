"""Applying an escalation step to the database: state change, queued messages, audit entries.

Shared by the dispatcher (delivery, timeouts, unreachable recipients) and the use cases
(acknowledgements). Everything happens in the caller's transaction, so a step is recorded with
its messages and its audit entries, or not at all. The state change is a compare-and-set on
(status, level): a step that another process already applied changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot.chat.checkins import reminder, text, with_ack
from bot.chat.dates import local_time
from bot.checkins import escalation as esc
from bot.checkins.alerts import tell_coordinators
from bot.checkins.quiet_hours import QuietHours
from bot.config import CheckinsConfig
from bot.lifecycle.reminders import lifecycle_escalation, lifecycle_reminder
from bot.messages import Reply
from bot.messaging.outbox import queue_message
from storage import checkins_repo as repo
from storage.records import Practitioner
from storage.tx import Tx

__all__ = [
    "LATE_AFTER",
    "Lookups",
    "apply_locked_steps",
    "apply_step",
    "freeze_page_chain",
    "freeze_reminder_chain",
    "quiet_hours_of",
    "state_of",
    "tell_requester",
]

log = logging.getLogger(__name__)

#: an occurrence materialised this long after it fell due is "late" (the bot was down)
LATE_AFTER = timedelta(minutes=5)


def quiet_hours_of(person: Practitioner) -> QuietHours | None:
    if not person.quiet_start or not person.quiet_end:
        return None
    return QuietHours.parse(f"{person.quiet_start}-{person.quiet_end}")


def state_of(occ: repo.Occurrence) -> esc.EscalationState:
    status: esc.Status = "waiting" if occ.status == "waiting" else "exhausted"
    if occ.status == "acknowledged":
        status = "acknowledged"
    return esc.EscalationState(
        occ.escalation_level, status, occ.next_action_at, occ.acknowledged_by
    )


class Lookups:
    """Reads memoised for one transaction (a batch touches the same cases and people)."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self._cases: dict[str, repo.CaseRef | None] = {}
        self._people: dict[str, Practitioner | None] = {}
        self._schedules: dict[str, repo.Schedule | None] = {}
        self._names: dict[str, str] = {}
        self._coordinators: dict[str, list[str]] = {}
        self._oncall: dict[tuple[str, str], list[str]] = {}

    async def prime(
        self,
        *,
        cases: Iterable[str | None] = (),
        people: Iterable[str | None] = (),
        schedules: Iterable[str | None] = (),
    ) -> None:
        """Load many at once (one query each) before a batch."""
        reads = self.tx.checkin_reads
        wanted = {c for c in cases if c and c not in self._cases}
        found_cases = await reads.cases_by_ids(ids=wanted)
        self._cases.update({c: found_cases.get(c) for c in wanted})
        wanted = {p for p in people if p and p not in self._people}
        found_people = await reads.practitioners_by_ids(ids=wanted)
        self._people.update({p: found_people.get(p) for p in wanted})
        wanted = {s for s in schedules if s and s not in self._schedules}
        found = await self.tx.schedules.by_ids(ids=wanted)
        self._schedules.update({s: found.get(s) for s in wanted})

    async def case(self, case_id: str | None) -> repo.CaseRef | None:
        if case_id is None:
            return None
        if case_id not in self._cases:
            self._cases[case_id] = await self.tx.checkin_reads.case_by_id(case_id=case_id)
        return self._cases[case_id]

    async def person(self, practitioner_id: str | None) -> Practitioner | None:
        if practitioner_id is None:
            return None
        if practitioner_id not in self._people:
            self._people[practitioner_id] = await self.tx.checkin_reads.practitioner(
                practitioner_id=practitioner_id
            )
        return self._people[practitioner_id]

    async def schedule(self, schedule_id: str | None) -> repo.Schedule | None:
        if schedule_id is None:
            return None
        if schedule_id not in self._schedules:
            self._schedules[schedule_id] = await self.tx.schedules.get(schedule_id=schedule_id)
        return self._schedules[schedule_id]

    async def name(self, practitioner_id: str) -> str:
        if practitioner_id not in self._names:
            found = await self.tx.people.names(ids=[practitioner_id])
            self._names[practitioner_id] = found.get(practitioner_id, "-")
        return self._names[practitioner_id]

    async def coordinator(self, team_id: str, exclude: tuple[str, ...]) -> str | None:
        if team_id not in self._coordinators:
            self._coordinators[team_id] = await self.tx.checkin_reads.team_coordinators(
                team_id=team_id
            )
        return next((p for p in self._coordinators[team_id] if p not in exclude), None)

    async def oncall(self, team_id: str, role: str) -> list[str]:
        if (team_id, role) not in self._oncall:
            self._oncall[(team_id, role)] = await self.tx.checkin_reads.oncall_practitioners(
                team_id=team_id, role=role, now=self.tx.now
            )
        return self._oncall[(team_id, role)]


async def freeze_reminder_chain(
    tx: Tx, occ: repo.Occurrence, config: CheckinsConfig, look: Lookups | None = None
) -> esc.Chain:
    """The chain of a check-in, fixed now: later edits of the schedule do not change it."""
    look = look or Lookups(tx)
    schedule = await look.schedule(occ.schedule_id)
    case = await look.case(occ.case_id)
    if schedule is None or case is None or occ.recipient_id is None:
        raise ValueError(f"check-in occurrence {occ.id} has lost its schedule or case")
    owner = schedule.escalate_to_id or case.owner_id
    coordinator = await look.coordinator(case.team_id, (occ.recipient_id, owner))
    fallback = next(
        (
            p
            for p in await look.oncall(case.team_id, config.fallback_contact)
            if p != occ.recipient_id
        ),
        None,
    )
    return esc.reminder_chain(
        reminded=occ.recipient_id,
        owner=owner,
        coordinator=coordinator,
        fallback=fallback,
        grace=schedule.grace,
        second_grace=config.second_grace_period,
    )


async def freeze_page_chain(
    tx: Tx, *, team_id: str, role: str, requester: str, config: CheckinsConfig
) -> esc.Chain:
    rota = [
        pid
        for pid in await tx.checkin_reads.oncall_practitioners(
            team_id=team_id, role=role, now=tx.now
        )
        if pid != requester
    ]
    fallback = await tx.checkin_reads.fallback_practitioner(
        team_id=team_id,
        role=config.fallback_contact,
        now=tx.now,
        exclude=(requester,),
    )
    return esc.page_chain(rota=rota, fallback=fallback, timeout=config.page_timeout)


async def apply_step(
    tx: Tx,
    occ: repo.Occurrence,
    chain: esc.Chain,
    step: esc.Step,
    *,
    reason: str,
    look: Lookups | None = None,
) -> bool:
    """Record `step` (if the occurrence is still as we read it) and queue its messages.

    An acknowledgement is valid at any level of a running escalation: it only needs the
    occurrence to be still open (an escalation step taken meanwhile does not void it)."""
    look = look or Lookups(tx)
    status = step.state.status
    if status == "acknowledged":
        return await tx.occurrences.update(
            occurrence_id=occ.id,
            now=tx.now,
            expected_status=("waiting", "exhausted"),
            status=status,
            next_action_at=None,
            acknowledged_by=step.state.acknowledged_by,
            acknowledged_at=tx.now,
        )
    changed = await tx.occurrences.update(
        occurrence_id=occ.id,
        now=tx.now,
        expected_status=(occ.status,),
        expected_level=occ.escalation_level,
        status=status,
        escalation_level=max(step.state.level, 0),
        escalation_chain=chain.to_json(),
        next_action_at=step.state.next_at,
    )
    if not changed:
        return False
    case = await look.case(occ.case_id)
    for notify in step.notify:
        await _notify(tx, look, occ, case, notify, reason)
    if step.exhausted and occ.kind == "page" and occ.requested_by:
        await tell_requester(tx, occ, case, "page_nobody", "nobody", look=look)
    if not chain.targets:
        await tx.audit(
            actor_kind="system",
            actor_id=None,
            action="checkin.no_recipient",
            case_id=occ.case_id,
            case_code=case.code if case else None,
            detail={"occurrence": occ.id},
        )
    return True


async def apply_locked_steps(
    tx: Tx,
    look: Lookups,
    steps: list[tuple[repo.Occurrence, esc.Chain, esc.Step, str]],
) -> int:
    """Record many steps at once on occurrences this transaction has claimed (locked: no
    compare-and-set needed), with their messages in one insert. Returns the number applied."""
    await tx.occurrences.record_steps(
        rows=[
            {
                "id": occ.id,
                "status": step.state.status,
                "escalation_level": max(step.state.level, 0),
                "escalation_chain": chain.to_json(),
                "next_action_at": step.state.next_at,
            }
            for occ, chain, step, _ in steps
        ],
        now=tx.now,
    )
    sink: list[dict[str, Any]] = []
    for occ, chain, step, reason in steps:
        case = await look.case(occ.case_id)
        for notify in step.notify:
            await _notify(tx, look, occ, case, notify, reason, sink)
        if step.exhausted and occ.kind == "page" and occ.requested_by:
            await tell_requester(tx, occ, case, "page_nobody", "nobody", look=look, sink=sink)
        if not chain.targets:
            await tx.audit(
                actor_kind="system",
                actor_id=None,
                action="checkin.no_recipient",
                case_id=occ.case_id,
                case_code=case.code if case else None,
                detail={"occurrence": occ.id},
            )
    await tx.outbox.enqueue_many(rows=sink)
    return len(steps)


async def tell_requester(
    tx: Tx,
    occ: repo.Occurrence,
    case: repo.CaseRef | None,
    key: str,
    suffix: str,
    look: Lookups | None = None,
    sink: list[dict[str, Any]] | None = None,
    **extra: str,
) -> None:
    if occ.requested_by is None:
        return
    person = await (look or Lookups(tx)).person(occ.requested_by)
    lang = person.language if person else "en"
    if case is None:
        body = text(lang, f"{key}_nocase", **extra)
    else:
        body = text(lang, key, case=case.code, **extra)
    await queue_message(
        tx,
        key=f"{occ.id}.{suffix}.{occ.requested_by}",
        practitioner_id=occ.requested_by,
        kind=f"page_{suffix}",
        reply=_plain(body),
        occurrence_id=occ.id,
        sink=sink,
    )


def _plain(body: str) -> Reply:
    return Reply(body, kind="alert")


async def _notify(
    tx: Tx,
    look: Lookups,
    occ: repo.Occurrence,
    case: repo.CaseRef | None,
    notify: esc.Notify,
    reason: str,
    sink: list[dict[str, Any]] | None = None,
) -> None:
    target = notify.target
    code = case.code if case else None
    if target.practitioner_id is None:
        # a fallback contact without a chat identity (or nobody on call): the coordinators are
        # alerted that the fallback could not be reached
        log.warning("occurrence %s: fallback contact has no chat identity", occ.id)
        team = case.team_id if case else None
        if team is None and occ.requested_by:
            requester = await look.person(occ.requested_by)
            team = requester.team_id if requester else None

        def render(lang: str, _zone: str) -> str:
            if code is None:
                return text(lang, "fallback_unreached_nocase")
            return text(lang, "fallback_unreached", case=code)

        told = await tell_coordinators(
            tx, look, key=f"{occ.id}.fallback_unreached", team_id=team, render=render
        )
        await tx.audit(
            actor_kind="system",
            actor_id=None,
            action=f"{occ.kind}.fallback_unresolved",
            case_id=occ.case_id,
            case_code=code,
            detail={"occurrence": occ.id, "level": notify.level, "told": told},
        )
        return
    pid = target.practitioner_id
    person = await look.person(pid)
    lang, tz = (person.language, person.time_zone) if person else ("en", "UTC")
    if occ.kind == "page":
        who = await look.name(occ.requested_by) if occ.requested_by else "-"
        body = (
            text(lang, "page", case=code, who=who) if code else text(lang, "page_nocase", who=who)
        )
        reply, kind, action = with_ack(lang, occ.id, body), "page", "page.notify"
    elif target.kind == "reminded":
        late = local_time(occ.due_at, tz, lang) if occ.late else None
        reply, kind, action = reminder(lang, occ.id, code or "-", late), "remind", "checkin.remind"
        if (own := await lifecycle_reminder(tx, look, occ, lang)) is not None:  # issue 16
            reply = replace(reply, text=own)
    else:
        key = "escalation_unreachable" if reason == "unreachable" else "escalation"
        due = local_time(occ.due_at, tz, lang)
        body = text(lang, key, case=code, due=due)
        gone = reason == "unreachable"  # issue 16: what the check-in is, if it says
        if own := await lifecycle_escalation(tx, look, occ, lang, due=due, unreachable=gone):
            body = own
        reply, kind, action = with_ack(lang, occ.id, body), "escalate", "checkin.escalate"
    await queue_message(
        tx,
        key=f"{occ.id}.{kind}.{pid}",
        practitioner_id=pid,
        kind=kind,
        reply=reply,
        occurrence_id=occ.id,
        sink=sink,
    )
    await tx.audit(
        actor_kind="system",
        actor_id=None,
        action=action,
        case_id=occ.case_id,
        case_code=code,
        detail={
            "occurrence": occ.id,
            "level": notify.level,
            "target": target.kind,
            "to": pid,
            "reason": reason,
            "late": occ.late,
        },
    )
