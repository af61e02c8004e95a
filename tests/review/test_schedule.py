"""The monthly review check-in on the check-in machinery: made with the case (and at start for
open cases without one), on the team's review day in the owner's time zone, reminding the owner
with the case code only, following the owner and the team's day, stopped by closing the case."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.app import Relais
from bot.clock import FakeClock
from storage.recurrence import Monthly
from tests.checkins.conftest import CASE, Team, at_paris, build_team
from tests.storage.helpers import enrol


@pytest.fixture
async def team(relais: Relais, clock: FakeClock) -> AsyncIterator[Team]:
    clock.set(datetime(2026, 1, 4, 12, 0, tzinfo=UTC))
    built = await build_team(relais, clock)  # its case predates the review: no check-in yet
    yield built
    built.assert_quiet()


async def _review(relais: Relais, case_id: str) -> tuple[str, Monthly, str, str | None]:
    async with relais.db.transaction(relais.clock.now()) as tx:
        sid = await tx.reviews.schedule_of(case_id=case_id)
        assert sid is not None
        schedule = await tx.schedules.get(schedule_id=sid)
    assert schedule is not None
    assert isinstance(schedule.rule, Monthly)
    due = schedule.next_due_at.isoformat() if schedule.next_due_at else None
    return schedule.reminded_id, schedule.rule, schedule.status, due


async def test_an_open_case_gets_its_review_at_start_and_the_owner_is_reminded(
    team: Team,
) -> None:
    relais = team.relais
    assert await relais.ensure_review_checkins() == 1
    assert await relais.ensure_review_checkins() == 0  # idempotent
    await relais.log_note(team.owner, CASE, "He talked about his brother's funeral", ["trigger"])
    reminded, rule, status, _due = await _review(relais, team.case_id)
    assert (reminded, rule.day, f"{rule.at:%H:%M}", rule.time_zone, status) == (
        team.owner.practitioner_id,
        1,
        "10:00",
        "Europe/Paris",
        "active",
    )
    await team.run_until(at_paris(2026, 2, 1, 9, 59))
    team.assert_quiet()
    await team.run_until(at_paris(2026, 2, 1, 10, 0))
    sent = team.take(team.owner, "Monthly review of case K-7F3A is due")
    assert "funeral" not in sent.reply.text  # the case code only, never a note
    assert "/review_pack K-7F3A" in sent.reply.text
    assert sent.at == at_paris(2026, 2, 1, 10, 0)
    done = next(b.token for b in sent.reply.buttons if b.token.endswith(".done"))
    await team.chat.handle_button(team.owner, done)


async def test_a_case_created_has_its_review_which_follows_owner_and_team_day(
    relais: Relais, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 10, 8, 0, tzinfo=UTC))
    await enrol(relais, "Olga Owner", "coordinator")
    await enrol(relais, "Nour New", "social_worker")
    case = await relais.create_case("K-2", owner="Olga Owner")
    reminded, rule, _status, due = await _review(relais, case.id)
    assert (rule.day, due) == (1, "2026-04-01T08:00:00+00:00")  # 10:00 Paris, summer time
    changed = await relais.set_review_day("North", 15)
    assert (changed.day, changed.own, changed.moved) == (15, True, 1)
    _reminded, rule, _status, due = await _review(relais, case.id)
    assert (rule.day, due) == (15, "2026-03-15T09:00:00+00:00")
    days = await relais.review_days()
    assert [(d.team, d.day, d.own) for d in days] == [("North", 15, True)]
    await relais.set_owner("K-2", "Nour New")
    new_owner, rule, _status, _due = await _review(relais, case.id)
    assert new_owner != reminded
    assert rule.day == 15
    # a case opened after the change gets the team's day
    other = await relais.create_case("K-3", owner="Nour New")
    assert (await _review(relais, other.id))[1].day == 15
    back = await relais.set_review_day("North", None)
    assert (back.day, back.own, back.moved) == (1, False, 2)


async def test_closing_the_case_stops_its_review(relais: Relais) -> None:
    await enrol(relais, "Olga Owner", "coordinator")
    case = await relais.create_case("K-4", owner="Olga Owner")
    await relais.close_case("K-4")
    _reminded, _rule, status, due = await _review(relais, case.id)
    assert (status, due) == ("cancelled", None)
    assert await relais.ensure_review_checkins() == 0  # closed: none made again


async def test_a_review_day_out_of_range_is_refused_with_what_to_give(relais: Relais) -> None:
    await enrol(relais, "Olga Owner", "coordinator")
    from bot.errors import InvalidInput

    with pytest.raises(InvalidInput, match="from 1 to 31"):
        await relais.set_review_day("North", 32)
