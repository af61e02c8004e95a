"""The sharing record's use cases on SQLite and PostgreSQL: the review reminder's schedule, the
merge of changes, and the export for an agency (amendments follow the note they amend)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.app import Relais
from bot.clock import FakeClock
from bot.errors import InvalidInput
from bot.usecases.sharing import SharingChange
from storage.recurrence import zone
from storage.repos.sharing import Allowance
from tests.storage.helpers import make_world

PARIS = zone("Europe/Paris")


async def _review_due(relais: Relais) -> datetime | None:
    async with relais.db.transaction(relais.clock.now()) as tx:
        case = await tx.cases.by_code(code="K-1")
        assert case is not None
        record = await tx.sharing.get(case_id=case.id)
        assert record is not None
        schedule = await tx.schedules.get(schedule_id=record.review_schedule_id or "")
        assert schedule is not None
        assert schedule.status == "active"
        return schedule.next_due_at


async def test_review_reminder_follows_the_review_date(relais: Relais, clock: FakeClock) -> None:
    world = await make_world(relais)
    clock.set(datetime.combine(date(2026, 3, 10), time(12), PARIS))
    # a review date already past: the next 09:00 to come (tomorrow: today's has passed)
    await relais.set_sharing(world.owner, "K-1", SharingChange(review_on=date(2026, 3, 1)))
    tomorrow = datetime.combine(date(2026, 3, 11), time(9), PARIS).astimezone(UTC)
    assert await _review_due(relais) == tomorrow
    view = await relais.sharing(world.mentor, "K-1")
    assert view.review_due
    await relais.set_sharing(world.owner, "K-1", SharingChange(review_on=date(2026, 9, 1)))
    later = datetime.combine(date(2026, 9, 1), time(9), PARIS).astimezone(UTC)
    assert await _review_due(relais) == later
    assert not (await relais.sharing(world.mentor, "K-1")).review_due


async def test_changes_merge_and_names_are_checked(relais: Relais) -> None:
    world = await make_world(relais)
    allow = SharingChange(
        allow=(Allowance("Probation", ("risk",)), Allowance("Family", ("progress",)))
    )
    await relais.set_sharing(world.owner, "K-1", allow)
    await relais.set_sharing(
        world.owner,
        "K-1",
        SharingChange(allow=(Allowance("probation", ("risk", "health")),), remove=("FAMILY",)),
    )
    view = await relais.sharing(world.owner, "K-1")
    assert view.record is not None
    assert view.record.allowed == (Allowance("probation", ("risk", "health")),)
    with pytest.raises(InvalidInput, match="the record names no recipient school"):
        await relais.set_sharing(world.owner, "K-1", SharingChange(remove=("School",)))
    with pytest.raises(InvalidInput, match="unknown categories"):
        await relais.set_sharing(
            world.owner, "K-1", SharingChange(allow=(Allowance("School", ("gossip",)),))
        )


async def test_export_for_an_agency_keeps_what_the_record_allows(
    relais: Relais, clock: FakeClock
) -> None:
    world = await make_world(relais)
    progress = await relais.log_note(world.mentor, "K-1", "Found a job.", ("progress",), "chat")
    clock.advance(timedelta(minutes=1))
    await relais.amend_note(world.mentor, "K-1", progress.id, "Found a job (part time).")
    await relais.log_note(world.mentor, "K-1", "Low mood.", ("concern",), "chat")
    await relais.log_note(
        world.mentor, "K-1", "Saw relapse signs.", ("relapse", "concern"), "chat"
    )
    await relais.log_note(world.mentor, "K-1", "Just a remark.", (), "chat")
    await relais.set_sharing(
        world.owner,
        "K-1",
        SharingChange(allow=(Allowance("Probation", ("risk", "progress")),)),
    )
    out = await relais.export_case_for("K-1", "PROBATION")
    assert [n["body"] for n in out["notes"]] == ["Found a job.", "Found a job (part time)."]
    assert out["notes"][1]["amends"] == progress.id
    assert out["left_out"]["notes"] == 3
    assert out["left_out"]["notes_by_reason"] == {"health": 2, "untagged": 1}
    await relais.set_sharing(
        world.owner,
        "K-1",
        SharingChange(allow=(Allowance("Probation", ("risk", "progress", "health")),)),
    )
    out = await relais.export_case_for("K-1", "Probation")
    assert len(out["notes"]) == 4
    assert out["left_out"]["notes_by_reason"] == {"untagged": 1}
    with pytest.raises(InvalidInput, match="allows nothing to Family"):
        await relais.export_case_for("K-1", "Family")
