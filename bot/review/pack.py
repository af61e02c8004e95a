"""The review pack's data: what the monthly multi-agency review of one case needs, for one
month, read in one transaction (issue 16). The month runs in the case owner's time zone.

- the case: code, owner, members and their roles on it;
- the month's notes grouped by tag (progress, relapse, trigger, concern, decision, contact,
  then untagged), each with its amendments;
- check-ins due in the month: done, missed, escalated, each with what it is for (the review,
  a handover step, the sharing record's review, the post-exit follow-up: `purpose`);
- pages about the case: who was paged, who acknowledged, how long it took;
- the release date, the continuity checklist items still open at the end of the month
  (`handover`: None when the case has no handover checklist: no release date, nothing ticked;
  `bot.usecases.handover`) and those ticked during the month, by whom (`ticked`);
- decisions: those open when the month began, carried with what became of them by its end;
  those taken during the month.

Plain data only: `bot.review.render` turns it into the values a template sees. Whoever may
read the case's notes may have the pack (`Action.REVIEW_PACK`); the operator too (`relais case
review-pack`). Either is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bot.errors import InvalidInput
from bot.lifecycle.content import HandoverPlan, handover_plan
from bot.lifecycle.schedules import purpose_of
from bot.policy import Action
from bot.review.decisions import DecisionView, decision_views
from bot.usecases.admin import find_case
from bot.usecases.base import CaseScope, EntryScope, UseCases, operator_command, requires
from bot.usecases.handover import ChecklistState, case_ref, read_handover
from bot.usecases.notes import NOTE_TAGS
from bot.usecases.usage import month_bounds
from storage.records import Case, Note
from storage.recurrence import local_to_utc, zone
from storage.tx import Tx

__all__ = [
    "PACK_TAGS",
    "HandoverItem",
    "PackCheckin",
    "PackNote",
    "PackPage",
    "ReviewPack",
    "ReviewPackUseCases",
    "TickedItem",
    "build_review_pack",
    "previous_month",
]

#: the order of the notes' groups; notes without a tag come last ("")
PACK_TAGS: tuple[str, ...] = (*NOTE_TAGS, "")


@dataclass(frozen=True, slots=True)
class PackNote:
    at: datetime
    author: str
    body: str
    tags: tuple[str, ...]
    #: (when, who, text) of each amendment made up to the end of the month
    amendments: tuple[tuple[datetime, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class PackCheckin:
    due_at: datetime
    status: str  # done | missed | open | cancelled | snoozed ...
    escalated: bool
    review: bool  # the monthly review check-in itself
    acknowledged_by: str
    acknowledged_at: datetime | None
    #: what the check-in is for (`bot.lifecycle.schedules`), None for an ordinary one
    purpose: str | None = None


@dataclass(frozen=True, slots=True)
class PackPage:
    at: datetime
    role: str
    requested_by: str
    acknowledged_by: str  # "" when nobody acknowledged
    minutes_to_ack: float | None


@dataclass(frozen=True, slots=True)
class HandoverItem:
    """A continuity checklist item not ticked yet (`content/lifecycle/handover.yaml`)."""

    item_id: str
    label: dict[str, str]  # language -> text

    def text(self, lang: str) -> str:
        return self.label.get(lang) or self.label.get("en") or self.item_id


@dataclass(frozen=True, slots=True)
class TickedItem:
    """A continuity checklist item ticked during the month, by whom (its latest tick)."""

    item: HandoverItem
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReviewPack:
    case_code: str
    case_status: str
    month: str
    since: date
    until: date  # exclusive
    time_zone: str
    generated_at: datetime
    owner: str
    members: tuple[tuple[str, str], ...]  # (name, role on the case)
    notes: dict[str, list[PackNote]]  # tag ("" = none) -> notes, in PACK_TAGS order
    checkins: list[PackCheckin]
    checkin_counts: dict[str, int]  # due, done, missed, escalated
    pages: list[PackPage]
    carried: list[DecisionView]  # open when the month began, as they stood at its end
    taken: list[DecisionView]  # taken during the month, as they stood at its end
    #: items of the handover checklist open at the end of the month; None: no checklist
    handover: list[HandoverItem] | None = field(default=None)
    release_on: date | None = None
    #: items ticked during the month
    ticked: list[TickedItem] = field(default_factory=list)


def previous_month(now: datetime, time_zone: str) -> str:
    """The month before the one `now` falls in, locally ('2026-11' in December 2026)."""
    first = now.astimezone(zone(time_zone)).date().replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def _status(status: str) -> str:
    return {
        "acknowledged": "done",
        "exhausted": "missed",
        "pending": "open",
        "waiting": "open",
    }.get(status, status)


def _pack_notes(notes: list[Note], start: datetime, end: datetime) -> dict[str, list[PackNote]]:
    """The month's notes by tag; an amendment made in the month shows with its note."""
    by_id = {n.id: n for n in notes}
    shown: dict[str, Note] = {}
    for note in notes:
        original = by_id.get(note.amends_id) if note.amends_id else note
        if original is not None and start <= note.created_at < end:
            shown.setdefault(original.id, original)
    groups: dict[str, list[PackNote]] = {tag: [] for tag in PACK_TAGS}
    for note in sorted(shown.values(), key=lambda n: (n.created_at, n.id)):
        amendments = tuple(
            (a.created_at, a.author_name, a.body)
            for a in (by_id[i] for i in note.amended_by if i in by_id)
            if a.created_at < end
        )
        entry = PackNote(note.created_at, note.author_name, note.body, note.tags, amendments)
        for tag in note.tags or ("",):
            groups.setdefault(tag, []).append(entry)
    return groups


async def build_review_pack(
    tx: Tx, case: Case, month: str, time_zone: str, plan: HandoverPlan
) -> ReviewPack:
    """The pack of `case` for `month` ('2026-11'), read in the caller's transaction; `plan`:
    the handover plan and checklist of the content (`bot.lifecycle.content.handover_plan`)."""
    since, until = month_bounds(month)
    tz = zone(time_zone)
    start = local_to_utc(since, time(), tz)
    end = local_to_utc(until, time(), tz)
    if start > tx.now:
        raise InvalidInput(f"the month {month} has not begun: give a month up to this one").saying(
            "month_ahead", month=month
        )
    members = await tx.cases.members(case_id=case.id)
    notes = await tx.notes.all_for_case(case_id=case.id)
    review_schedule = await tx.reviews.schedule_of(case_id=case.id)
    checkins = await tx.reviews.checkins(case_id=case.id, since=start, until=end)
    pages = await tx.reviews.pages(case_id=case.id, since=start, until=end)
    release_on, handover, ticks = await open_handover_items(tx, case, plan, end)
    people = {case.owner_id, *(m.practitioner_id for m in members)}
    people |= {state.changed_by for state in ticks if state.changed_by}
    people |= {o.acknowledged_by for o in (*checkins, *pages) if o.acknowledged_by}
    people |= {p.requested_by for p in pages if p.requested_by}
    names = await tx.people.names(ids=people)
    decisions = await decision_views(tx, case.id)
    schedules = await tx.schedules.by_ids(ids=[o.schedule_id for o in checkins if o.schedule_id])
    pack_checkins = [
        PackCheckin(
            o.due_at,
            _status(o.status),
            o.escalation_level > 0,
            o.schedule_id is not None and o.schedule_id == review_schedule,
            names.get(o.acknowledged_by, "") if o.acknowledged_by else "",
            o.acknowledged_at,
            purpose_of(tx, schedules[o.schedule_id]) if o.schedule_id in schedules else None,
        )
        for o in checkins
    ]
    counts = {
        "due": len(pack_checkins),
        "done": sum(c.status == "done" for c in pack_checkins),
        "missed": sum(c.status == "missed" for c in pack_checkins),
        "escalated": sum(c.escalated for c in pack_checkins),
    }
    pack_pages = [
        PackPage(
            p.due_at,
            p.role or "",
            names.get(p.requested_by, "") if p.requested_by else "",
            names.get(p.acknowledged_by, "") if p.acknowledged_by else "",
            round((p.acknowledged_at - p.due_at).total_seconds() / 60, 1)
            if p.acknowledged_at
            else None,
        )
        for p in pages
    ]
    return ReviewPack(
        case_code=case.code,
        case_status=case.status,
        month=month,
        since=since,
        until=until,
        time_zone=time_zone,
        generated_at=tx.now,
        owner=names.get(case.owner_id, ""),
        members=tuple((names.get(m.practitioner_id, ""), m.role) for m in members),
        notes=_pack_notes(notes, start, end),
        checkins=pack_checkins,
        checkin_counts=counts,
        pages=pack_pages,
        carried=[
            d.as_at(end)
            for d in decisions
            if d.taken_at < start and (d.settled_at is None or d.settled_at >= start)
        ],
        taken=[d.as_at(end) for d in decisions if start <= d.taken_at < end],
        handover=handover,
        release_on=release_on,
        ticked=[
            TickedItem(
                HandoverItem(t.item.id, dict(t.item.label)),
                names.get(t.changed_by, "") if t.changed_by else "",
                t.changed_at,
            )
            for t in ticks
            if t.done and t.changed_at is not None and start <= t.changed_at < end
        ],
    )


async def open_handover_items(
    tx: Tx, case: Case, plan: HandoverPlan, end: datetime
) -> tuple[date | None, list[HandoverItem] | None, tuple[ChecklistState, ...]]:
    """The case's release date, the items of its continuity checklist still open at `end` (an
    item ticked since counts as open then) and every item's state
    (`bot.usecases.handover.read_handover`); None for the open items when the case has no
    handover checklist: no release date set and no item ever ticked."""
    view = await read_handover(tx, case_ref(case), plan)
    if view.release_on is None and not any(state.changed_at for state in view.items):
        return None, None, view.items
    still_open = [
        HandoverItem(state.item.id, dict(state.item.label))
        for state in view.items
        if not state.done or (state.changed_at is not None and state.changed_at >= end)
    ]
    return view.release_on, still_open, view.items


class ReviewPackUseCases(UseCases):
    async def _time_zone(self, tx: Tx, case: Case) -> str:
        owner = await tx.people.get(practitioner_id=case.owner_id)
        return owner.time_zone if owner is not None else self.config.checkins.default_time_zone

    @requires(Action.REVIEW_PACK)
    async def review_pack(self, scope: CaseScope, month: str = "") -> ReviewPack:
        """The pack of the case for `month` ('2026-11'; default: last month, in the owner's
        time zone)."""
        time_zone = await self._time_zone(scope.tx, scope.case)
        month = month.strip() or previous_month(scope.tx.now, time_zone)
        scope.detail = {"month": month}
        plan = handover_plan(self.config.content_path)
        return await build_review_pack(scope.tx, scope.case, month, time_zone, plan)

    @operator_command("case.review_pack")
    async def operator_review_pack(
        self, scope: EntryScope, code: str, month: str = ""
    ) -> ReviewPack:
        """`relais case review-pack K-7F3A --month 2026-11`, audited as the operator."""
        case = await find_case(scope.tx, code)
        time_zone = await self._time_zone(scope.tx, case)
        month = month.strip() or previous_month(scope.tx.now, time_zone)
        scope.case_id, scope.case_code = case.id, case.code
        scope.detail = {"month": month}
        plan = handover_plan(self.config.content_path)
        return await build_review_pack(scope.tx, case, month, time_zone, plan)
