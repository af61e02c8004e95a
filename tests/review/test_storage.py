"""The review's repositories on SQLite and PostgreSQL: numbered decisions with an encrypted
outcome, the one review schedule per case, a team's review day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from bot.app import Relais
from storage.models import CaseDecisionRow
from storage.recurrence import Monthly
from tests.storage.helpers import enrol


async def _case(relais: Relais) -> tuple[str, str, str]:
    owner = await enrol(relais, "Olga Owner", "coordinator")
    case = await relais.create_case("K-1", owner="Olga Owner")
    return case.id, case.team_id, owner.practitioner_id


async def test_decisions_are_numbered_per_case_and_their_outcome_encrypted(
    relais: Relais,
) -> None:
    case_id, _team, owner_id = await _case(relais)
    now = relais.clock.now()
    async with relais.db.transaction(now) as tx:
        notes = [
            await tx.notes.add(
                case_id=case_id,
                author_id=owner_id,
                body=f"decision {n}",
                tags=("decision",),
                origin="test",
                now=now,
            )
            for n in range(3)
        ]
        numbers = [await tx.decisions.add(case_id=case_id, note_id=n, now=now) for n in notes]
        assert numbers == [1, 2, 3]
        second = (await tx.decisions.for_case(case_id=case_id))[1]
        await tx.decisions.settle(
            decision_id=second.id,
            status="done",
            outcome="Housing found in Lille",
            by=owner_id,
            now=now + timedelta(days=3),
        )
    async with relais.db.transaction(now) as tx:
        found = await tx.decisions.for_case(case_id=case_id)
        assert [(d.number, d.status, d.outcome) for d in found] == [
            (1, "open", ""),
            (2, "done", "Housing found in Lille"),
            (3, "open", ""),
        ]
        assert found[1].settled_by == owner_id
        assert found[1].settled_at == now + timedelta(days=3)
        stored = (
            await tx.conn.execute(
                select(CaseDecisionRow.outcome_enc).where(CaseDecisionRow.id == second.id)
            )
        ).scalar_one()
        assert stored is not None
        assert b"Housing" not in stored
        # a note deleted (retention, erasure) takes its decision with it
        await tx.notes.delete_many(note_ids=[notes[0]])
        assert [d.number for d in await tx.decisions.for_case(case_id=case_id)] == [2, 3]


async def test_one_review_schedule_per_case_and_the_team_day(relais: Relais) -> None:
    case_id, team_id, owner_id = await _case(relais)
    now = relais.clock.now()
    async with relais.db.transaction(now) as tx:
        made = await tx.reviews.schedule_of(case_id=case_id)  # create_case made one
        assert made is not None
        other = await tx.schedules.add(
            case_id=case_id,
            rule=Monthly(3, time(9, 0), "UTC"),
            reminded_id=owner_id,
            escalate_to_id=None,
            grace=timedelta(hours=2),
            urgent=False,
            next_due_at=datetime(2026, 2, 3, 9, tzinfo=UTC),
            created_by=None,
            now=now,
        )
        assert not await tx.reviews.link(case_id=case_id, schedule_id=other, now=now)
        assert await tx.reviews.schedule_of(case_id=case_id) == made
        assert await tx.reviews.team_day(team_id=team_id) is None
        await tx.reviews.set_team_day(team_id=team_id, day=5)
        assert await tx.reviews.team_day(team_id=team_id) == 5
        links = await tx.reviews.open_cases(team_id=team_id)
        assert [(link.case_code, link.schedule_id) for link in links] == [("K-1", made)]
