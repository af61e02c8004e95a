"""The release date plans the handover check-ins on the check-in machinery; moving it moves the
steps not fired yet (no duplicate, nothing lost), keeps the fired ones, skips the days passed;
the checklist is ticked by the case team, each tick audited with the item id only."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select

from bot.app import Relais
from bot.checkins.dispatcher import CheckinDispatcher
from bot.clock import FakeClock
from bot.errors import InvalidInput, NotAllowed
from storage.models import CaseReviewRow, CheckinScheduleRow
from storage.recurrence import zone
from tests.checkins.conftest import RecordingChannel
from tests.storage.helpers import make_world

PARIS = zone("Europe/Paris")


def paris(y: int, m: int, d: int, h: int = 9) -> datetime:
    return datetime.combine(date(y, m, d), time(h), PARIS).astimezone(UTC)


async def _schedules(relais: Relais) -> dict[str, int]:
    async with relais.db.connect() as conn:
        rows = await conn.execute(
            select(CheckinScheduleRow.status, func.count())
            # the case's monthly review check-in (bot.review) is not part of the plan
            .where(CheckinScheduleRow.id.not_in(select(CaseReviewRow.schedule_id)))
            .group_by(CheckinScheduleRow.status)
        )
        out = {str(status): int(n) for status, n in rows}
        await conn.rollback()
    return out


async def test_release_plans_moves_and_keeps_the_handover_checkins(
    relais: Relais, clock: FakeClock
) -> None:
    world = await make_world(relais)
    view = await relais.set_release(world.owner, "K-1", date(2026, 2, 1))
    assert view.release_on == date(2026, 2, 1)
    assert [(s.step_id, s.due_at, s.status) for s in view.steps] == [
        ("prepare", paris(2026, 1, 18), "pending"),
        ("release_day", paris(2026, 2, 1), "pending"),
        ("day_1", paris(2026, 2, 2), "pending"),
        ("day_3", paris(2026, 2, 4), "pending"),
        ("day_7", paris(2026, 2, 8), "pending"),
        ("day_14", paris(2026, 2, 15), "pending"),
        ("day_30", paris(2026, 3, 3), "pending"),
    ]
    assert await _schedules(relais) == {"active": 7}
    assert [i.id for i in view.open_items][:2] == ["treatment", "first_appointment"]

    moved = await relais.set_release(world.owner, "K-1", date(2026, 2, 8))
    assert [s.due_at for s in moved.steps][:2] == [paris(2026, 1, 25), paris(2026, 2, 8)]
    assert {s.status for s in moved.steps} == {"pending"}
    assert await _schedules(relais) == {"active": 7, "cancelled": 7}  # moved, not doubled
    again = await relais.set_release(world.owner, "K-1", date(2026, 2, 8))
    assert again.steps == moved.steps
    assert await _schedules(relais) == {"active": 7, "cancelled": 7}  # the same date: no change

    # the prepare check-in fires; the release moves again: it is not sent a second time
    console = RecordingChannel("console", clock)
    dispatcher = CheckinDispatcher(relais.db, clock, relais.config.checkins, {"console": console})
    clock.set(paris(2026, 1, 25, 10))
    await dispatcher.tick()
    later = await relais.set_release(world.owner, "K-1", date(2026, 2, 15))
    steps = {s.step_id: s for s in later.steps}
    assert (steps["prepare"].status, steps["prepare"].due_at) == ("done", paris(2026, 1, 25))
    assert steps["release_day"].due_at == paris(2026, 2, 15)
    assert await _schedules(relais) == {"active": 6, "cancelled": 13, "done": 1}

    # a release already past: the days gone are skipped, today's step comes at once
    clock.set(paris(2026, 1, 27, 12))
    past = await relais.set_release(world.owner, "K-1", date(2026, 1, 20))
    statuses = {s.step_id: s.status for s in past.steps}
    assert statuses == {
        "prepare": "done",
        "release_day": "skipped",
        "day_1": "skipped",
        "day_3": "skipped",
        "day_7": "pending",  # 27 January, 09:00 has passed today: due now
        "day_14": "pending",
        "day_30": "pending",
    }
    async with relais.db.transaction(clock.now()) as tx:
        case = await tx.cases.by_code(code="K-1")
        assert case is not None
        step = next(s for s in await tx.handover.steps(case_id=case.id) if s.step_id == "day_7")
        schedule = await tx.schedules.get(schedule_id=step.schedule_id or "")
        assert schedule is not None
        assert schedule.next_due_at == clock.now()


async def test_only_the_owner_sets_the_release_and_the_team_ticks(relais: Relais) -> None:
    world = await make_world(relais)
    with pytest.raises(NotAllowed):
        await relais.set_release(world.mentor, "K-1", date(2026, 3, 1))
    view = await relais.tick_handover(world.mentor, "K-1", "housing", True)
    assert [i.item.id for i in view.items if i.done] == ["housing"]
    assert "housing" not in [i.id for i in view.open_items]
    view = await relais.tick_handover(world.owner, "K-1", "housing", False)
    assert [i.item.id for i in view.items if i.done] == []
    with pytest.raises(InvalidInput, match="no checklist item 'garden'"):
        await relais.tick_handover(world.mentor, "K-1", "garden", True)
    with pytest.raises(NotAllowed):
        await relais.tick_handover(world.outsider, "K-1", "housing", True)
    async with relais.db.connect() as conn:
        trail = await relais.db.audit_log.for_case(conn, case_code="K-1")
        await conn.rollback()
    ticks = [e for e in trail if e.action == "handover.tick" and e.outcome == "ok"]
    assert [(e.actor_id, e.detail) for e in ticks] == [
        (world.mentor.practitioner_id, {"item": "housing", "done": True}),
        (world.owner.practitioner_id, {"item": "housing", "done": False}),
    ]
    with pytest.raises(InvalidInput, match="within ten years"):
        await relais.set_release(world.owner, "K-1", date(2090, 1, 1))


async def test_setting_the_release_again_moves_the_plan_to_a_new_owner(relais: Relais) -> None:
    world = await make_world(relais)
    await relais.set_release(world.owner, "K-1", date(2026, 2, 1))
    await relais.set_owner("K-1", "Mehdi Mentor")
    with pytest.raises(NotAllowed):  # the former owner, now on no relation that allows it
        await relais.set_release(world.owner, "K-1", date(2026, 2, 1))
    view = await relais.set_release(world.mentor, "K-1", date(2026, 2, 1))
    assert {s.status for s in view.steps} == {"pending"}
    async with relais.db.connect() as conn:
        rows = await conn.execute(
            select(CheckinScheduleRow.reminded_id).where(CheckinScheduleRow.status == "active")
        )
        reminded = [r for (r,) in rows]
        await conn.rollback()
    # the 7 handover steps, and the case's monthly review (bot.review): the new owner's
    assert reminded == [world.mentor.practitioner_id] * 8
