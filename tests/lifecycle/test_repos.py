"""`tx.handover` and `tx.sharing` on SQLite and PostgreSQL: upserts keep one row per key, the
record's free text is stored encrypted (bound to its row) and read back, a case erased takes
its rows with it."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from bot.app import Relais
from storage.models import SharingRecordRow
from storage.repos.sharing import Allowance
from tests.storage.helpers import make_world


async def test_release_steps_and_ticks(relais: Relais) -> None:
    await make_world(relais)
    now = relais.clock.now()
    async with relais.db.transaction(now) as tx:
        case = await tx.cases.by_code(code="K-1")
        assert case is not None
        assert await tx.handover.release(case_id=case.id) is None
        await tx.handover.set_release(
            case_id=case.id, release_on=date(2027, 1, 15), set_by=None, now=now
        )
        await tx.handover.set_release(
            case_id=case.id, release_on=date(2027, 1, 22), set_by="p1", now=now
        )
        release = await tx.handover.release(case_id=case.id)
        assert release is not None
        assert (release.release_on, release.set_by) == (date(2027, 1, 22), "p1")
        await tx.handover.put_step(
            case_id=case.id, step_id="day_1", schedule_id=None, due_at=now, status="skipped"
        )
        await tx.handover.put_step(
            case_id=case.id,
            step_id="day_1",
            schedule_id=None,
            due_at=now + timedelta(days=1),
            status="skipped",
        )
        [step] = await tx.handover.steps(case_id=case.id)
        assert (step.step_id, step.due_at) == ("day_1", now + timedelta(days=1))
        await tx.handover.set_tick(
            case_id=case.id, item_id="housing", done=True, changed_by="p1", now=now
        )
        await tx.handover.set_tick(
            case_id=case.id, item_id="housing", done=False, changed_by="p2", now=now
        )
        await tx.handover.set_tick(
            case_id=case.id, item_id="income", done=True, changed_by="p2", now=now
        )
        ticks = await tx.handover.ticks(case_id=case.id)
        assert {k: (t.done, t.changed_by) for k, t in ticks.items()} == {
            "housing": (False, "p2"),
            "income": (True, "p2"),
        }


async def test_sharing_record_is_encrypted_and_replaced_in_place(relais: Relais) -> None:
    await make_world(relais)
    now = relais.clock.now()
    async with relais.db.transaction(now) as tx:
        case = await tx.cases.by_code(code="K-1")
        assert case is not None
        first = await tx.sharing.put(
            case_id=case.id,
            allowed=(Allowance("Service pénitentiaire", ("risk", "progress")),),
            signed_on=date(2026, 11, 2),
            signed_by="Jeanne Martin",
            review_on=date(2027, 5, 1),
            person_informed=True,
            review_schedule_id=None,
            updated_by=None,
            now=now,
        )
        second = await tx.sharing.put(
            case_id=case.id,
            allowed=(
                Allowance("Service pénitentiaire", ("risk",)),
                Allowance("Housing office", ("practical",)),
            ),
            signed_on=date(2026, 11, 2),
            signed_by="Jeanne Martin",
            review_on=date(2027, 6, 1),
            person_informed=False,
            review_schedule_id=None,
            updated_by="p1",
            now=now,
        )
        assert first == second  # one record per case, its id kept (ciphertext bound to it)
        record = await tx.sharing.get(case_id=case.id)
        assert record is not None
        assert record.allowed == (
            Allowance("Service pénitentiaire", ("risk",)),
            Allowance("Housing office", ("practical",)),
        )
        assert record.signed_by == "Jeanne Martin"
        assert record.review_on == date(2027, 6, 1)
        assert record.person_informed is False
        assert record.for_recipient("  housing OFFICE ") == Allowance(
            "Housing office", ("practical",)
        )
        assert record.for_recipient("Family") is None
        raw = (await tx.conn.execute(select(SharingRecordRow))).one()
        assert b"Jeanne" not in raw.signed_by_enc
        assert b"Housing" not in raw.allowed_enc
        assert b"nitentiaire" not in raw.allowed_enc


async def test_erasing_a_case_takes_its_lifecycle_rows(relais: Relais) -> None:
    await make_world(relais)
    now = relais.clock.now()
    async with relais.db.transaction(now) as tx:
        case = await tx.cases.by_code(code="K-1")
        assert case is not None
        case_id = case.id
        await tx.handover.set_release(
            case_id=case_id, release_on=date(2027, 1, 1), set_by=None, now=now
        )
        await tx.handover.set_tick(
            case_id=case_id, item_id="housing", done=True, changed_by=None, now=now
        )
        await tx.sharing.put(
            case_id=case_id,
            allowed=(),
            signed_on=None,
            signed_by=None,
            review_on=None,
            person_informed=None,
            review_schedule_id=None,
            updated_by=None,
            now=now,
        )
    await relais.erase_case("K-1")
    async with relais.db.transaction(now) as tx:
        assert await tx.handover.release(case_id=case_id) is None
        assert await tx.handover.ticks(case_id=case_id) == {}
        assert await tx.sharing.get(case_id=case_id) is None
