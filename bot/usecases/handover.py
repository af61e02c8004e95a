"""Release and continuity of care (issue 16): a case's release date, the handover plan of
check-ins it sets for the owner, and the continuity checklist the case members tick.

The plan and the checklist are data (content/lifecycle/handover.yaml, `bot.lifecycle.content`).
Setting the release date (again) plans every step: a step not fired yet is moved (its schedule
withdrawn, a new one set: no duplicate), a step that fired stays as it is (nothing sent twice),
a step whose day has passed is skipped and one due earlier today comes at once. The step with
`open_items` (release day) reminds the owner of the items still open, and escalates along the
check-in chain if nobody acknowledges it (`bot.lifecycle.reminders`).

For other features (the monthly review pack): `read_handover(tx, case, plan)` inside any use
case's transaction returns the `HandoverView` (`.open_items`: the checklist items not ticked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.errors import CaseClosed, InvalidInput, NotFound
from bot.lifecycle.content import ChecklistItem, HandoverPlan, handover_plan
from bot.lifecycle.schedules import HANDOVER, schedule_for, withdraw
from bot.policy import Action
from bot.usecases.base import CaseScope, EntryScope, UseCases, operator_command, requires
from storage import checkins_repo as repo
from storage.records import Case
from storage.recurrence import OneOff, local_to_utc, zone
from storage.tx import Tx

__all__ = [
    "ChecklistState",
    "HandoverUseCases",
    "HandoverView",
    "PlanState",
    "case_ref",
    "operator_case",
    "read_handover",
]

#: the furthest ahead a release date may be set
RELEASE_HORIZON = timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class PlanState:
    """A step of the plan: `pending` (will remind), `done` (reminded), `skipped` (its day had
    passed when the plan was set), `cancelled` (withdrawn by hand)."""

    step_id: str
    days: int
    due_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class ChecklistState:
    item: ChecklistItem
    done: bool
    changed_by: str | None  # a practitioner id (None: never ticked, or the operator)
    changed_at: datetime | None


@dataclass(frozen=True, slots=True)
class HandoverView:
    case_code: str
    release_on: date | None
    steps: tuple[PlanState, ...]
    items: tuple[ChecklistState, ...]

    @property
    def open_items(self) -> tuple[ChecklistItem, ...]:
        return tuple(state.item for state in self.items if not state.done)

    def to_dict(self) -> dict[str, object]:
        return {
            "case": self.case_code,
            "release_on": self.release_on.isoformat() if self.release_on else None,
            "plan": [
                {
                    "step": s.step_id,
                    "days": s.days,
                    "due_at": s.due_at.isoformat(),
                    "status": s.status,
                }
                for s in self.steps
            ],
            "checklist": [
                {
                    "item": i.item.id,
                    "label": i.item.label,
                    "done": i.done,
                    "changed_at": i.changed_at.isoformat() if i.changed_at else None,
                }
                for i in self.items
            ],
            "open_items": [i.id for i in self.open_items],
        }


async def read_handover(tx: Tx, case: repo.CaseRef, plan: HandoverPlan) -> HandoverView:
    """A case's release date, plan steps and checklist, read in the caller's transaction."""
    release = await tx.handover.release(case_id=case.id)
    steps = await tx.handover.steps(case_id=case.id)
    schedules = await tx.schedules.by_ids(ids=[s.schedule_id for s in steps if s.schedule_id])
    states: list[PlanState] = []
    for step in steps:
        known = plan.step(step.step_id)
        schedule = schedules.get(step.schedule_id or "")
        status = "skipped"
        if step.status == "scheduled":
            status = {"active": "pending", "paused": "pending", "done": "done"}.get(
                schedule.status if schedule else "cancelled", "cancelled"
            )
        states.append(PlanState(step.step_id, known.days if known else 0, step.due_at, status))
    ticks = await tx.handover.ticks(case_id=case.id)
    items = tuple(
        ChecklistState(
            item,
            bool(ticks[item.id].done) if item.id in ticks else False,
            ticks[item.id].changed_by if item.id in ticks else None,
            ticks[item.id].changed_at if item.id in ticks else None,
        )
        for item in plan.checklist
    )
    return HandoverView(case.code, release.release_on if release else None, tuple(states), items)


class HandoverUseCases(UseCases):
    """The release date, the handover plan and the continuity checklist (on `Relais`)."""

    def _plan(self) -> HandoverPlan:
        return handover_plan(self.config.content_path)

    @requires(Action.SET_RELEASE)
    async def set_release(self, scope: CaseScope, release_on: date) -> HandoverView:
        """`/release CODE YYYY-MM-DD` (the owner): set or move the release date and its plan."""
        case = case_ref(scope.case)
        await self._plan_release(scope.tx, case, release_on, scope.actor.practitioner_id)
        scope.detail.update(release_on=release_on.isoformat())
        return await read_handover(scope.tx, case, self._plan())

    @requires(Action.VIEW_HANDOVER)
    async def handover(self, scope: CaseScope) -> HandoverView:
        """`/handover CODE`: the release date, the plan and the checklist."""
        return await read_handover(scope.tx, case_ref(scope.case), self._plan())

    @requires(Action.TICK_HANDOVER)
    async def tick_handover(self, scope: CaseScope, item_id: str, done: bool) -> HandoverView:
        """Tick (or untick) a continuity checklist item; audited with the item id only."""
        plan = self._plan()
        if plan.item(item_id) is None:
            known = ", ".join(i.id for i in plan.checklist)
            raise InvalidInput(f"no checklist item {item_id!r} (items: {known})").saying(
                "checklist_item", found=item_id, items=known
            )
        await scope.tx.handover.set_tick(
            case_id=scope.case.id,
            item_id=item_id,
            done=done,
            changed_by=scope.actor.practitioner_id,
            now=scope.tx.now,
        )
        scope.detail.update(item=item_id, done=done)
        return await read_handover(scope.tx, case_ref(scope.case), plan)

    @operator_command("handover.release")
    async def cli_set_release(
        self, scope: EntryScope, code: str, release_on: date
    ) -> HandoverView:
        """`relais case set-release CODE YYYY-MM-DD` (and `case create --release`)."""
        case = await operator_case(scope, code)
        await self._plan_release(scope.tx, case, release_on, None)
        scope.detail.update(release_on=release_on.isoformat())
        return await read_handover(scope.tx, case, self._plan())

    @operator_command("handover.view")
    async def cli_handover(self, scope: EntryScope, code: str) -> HandoverView:
        """`relais case handover CODE`: ids, dates and the checklist's generic labels only."""
        case = await operator_case(scope, code)
        scope.audit = False
        return await read_handover(scope.tx, case, self._plan())

    async def _plan_release(
        self, tx: Tx, case: repo.CaseRef, release_on: date, set_by: str | None
    ) -> None:
        if case.status != "open":
            raise CaseClosed(f"case {case.code} is closed: it has no release to plan").saying(
                "closed_release", case=case.code
            )
        today = tx.now.date()
        if not today - RELEASE_HORIZON <= release_on <= today + RELEASE_HORIZON:
            raise InvalidInput(
                f"a release date must be within ten years, found {release_on}"
            ).saying("release_horizon", found=release_on.isoformat())
        plan = self._plan()
        owner = await tx.checkin_reads.practitioner(practitioner_id=case.owner_id)
        tz = zone(owner.time_zone if owner else self.config.checkins.default_time_zone)
        await tx.handover.set_release(
            case_id=case.id, release_on=release_on, set_by=set_by, now=tx.now
        )
        existing = {s.step_id: s for s in await tx.handover.steps(case_id=case.id)}
        reminded = {  # a plan set before the case changed owner is moved to the new owner
            sid: schedule.reminded_id
            for sid, schedule in (
                await tx.schedules.by_ids(
                    ids=[s.schedule_id for s in existing.values() if s.schedule_id]
                )
            ).items()
        }
        local_today = tx.now.astimezone(tz).date()
        for step in plan.steps:
            day = release_on + timedelta(days=step.days)
            due = local_to_utc(day, plan.at, tz)
            old = existing.get(step.id)
            if (
                old is not None
                and old.status == "scheduled"
                and old.due_at == due
                and reminded.get(old.schedule_id or "", case.owner_id) == case.owner_id
            ):
                continue  # unchanged
            earlier = old.schedule_id if old is not None and old.status == "scheduled" else None
            if earlier is not None and not await withdraw(tx, earlier):
                continue  # it fired already (or was cancelled by hand): kept as it is
            if due <= tx.now and day != local_today:
                await tx.handover.put_step(
                    case_id=case.id,
                    step_id=step.id,
                    schedule_id=None,
                    due_at=due,
                    status="skipped",
                )
                continue
            sid = await schedule_for(
                tx,
                case,
                OneOff(max(due, tx.now)),
                reminded_id=case.owner_id,
                grace=self.config.checkins.grace_period,
                purpose=f"{HANDOVER}:{step.id}",
                created_by=set_by,
            )
            await tx.handover.put_step(
                case_id=case.id, step_id=step.id, schedule_id=sid, due_at=due, status="scheduled"
            )


def case_ref(case: Case) -> repo.CaseRef:
    """The check-in view of a case record."""
    return repo.CaseRef(case.id, case.code, case.team_id, case.owner_id, case.status)


async def operator_case(scope: EntryScope, code: str) -> repo.CaseRef:
    case = await scope.tx.checkin_reads.case_by_code(code=code.strip().upper())
    if case is None:
        raise NotFound(f"no case {code.strip().upper()}").saying(
            "no_case", case=code.strip().upper()
        )
    scope.case_id, scope.case_code = case.id, case.code
    return case
