"""The audit log: same transaction as the action, chain verification names tampering."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import NoResultFound

from bot.app import Relais
from storage.models import AuditEntryRow, AuditHead, NoteRow
from tests.storage.helpers import make_world


async def _seed(relais: Relais) -> None:
    world = await make_world(relais)
    for i in range(3):
        await relais.log_note(world.mentor, "K-1", f"note {i}", ["progress"])
    await relais.list_notes(world.owner, "K-1")


async def _problems(relais: Relais) -> list[tuple[int, str]]:
    report = await relais.audit_verify()
    return [(p.seq, p.kind) for p in report.problems]


async def test_clean_chain_and_case_trail(relais: Relais) -> None:
    await _seed(relais)
    report = await relais.audit_verify()
    assert report.ok
    assert report.entries == report.head_seq > 5
    trail = await relais.audit_export("K-1")
    actions = [e.action for e in trail]
    assert actions.count("note.log") == 3
    assert "note.read" in actions
    assert all(e.at.tzinfo is not None for e in trail)
    assert {"case.create", "case.add_member"} <= set(actions)


async def test_modified_entry_is_named(relais: Relais) -> None:
    await _seed(relais)
    async with relais.db.begin() as conn:
        await conn.execute(update(AuditEntryRow).where(AuditEntryRow.seq == 4).values(action="x"))
    assert await _problems(relais) == [(4, "modified")]


async def test_deleted_entry_is_named(relais: Relais) -> None:
    await _seed(relais)
    async with relais.db.begin() as conn:
        await conn.execute(delete(AuditEntryRow).where(AuditEntryRow.seq == 5))
    assert await _problems(relais) == [(5, "deleted")]


async def test_inserted_entry_is_named(relais: Relais) -> None:
    await _seed(relais)
    async with relais.db.begin() as conn:
        # make room after entry 3 and forge an entry there, as someone with database access
        rows = (await conn.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq.desc()))).all()
        for row in rows:
            if row.seq > 3:
                await conn.execute(
                    update(AuditEntryRow)
                    .where(AuditEntryRow.seq == row.seq)
                    .values(seq=row.seq + 1000)
                )
        for row in rows:
            if row.seq > 3:
                await conn.execute(
                    update(AuditEntryRow)
                    .where(AuditEntryRow.seq == row.seq + 1000)
                    .values(seq=row.seq + 1)
                )
        third = next(r for r in rows if r.seq == 3)
        forged = {c.name: getattr(third, c.name) for c in AuditEntryRow.__table__.columns}
        forged.update(seq=4, action="note.read", prev_hash=third.hash, hash="f" * 64)
        await conn.execute(insert(AuditEntryRow).values(**forged))
        await conn.execute(update(AuditHead).values(seq=AuditHead.seq + 1))
    problems = await _problems(relais)
    assert (4, "inserted") in problems


async def test_truncated_tail_is_detected(relais: Relais) -> None:
    await _seed(relais)
    async with relais.db.begin() as conn:
        head = (await conn.execute(select(AuditHead.seq))).scalar_one()
        await conn.execute(delete(AuditEntryRow).where(AuditEntryRow.seq == head))
    assert [kind for _seq, kind in await _problems(relais)] == ["truncated"]


async def test_failed_audit_write_fails_the_action(relais: Relais) -> None:
    world = await make_world(relais)
    async with relais.db.begin() as conn:
        await conn.execute(delete(AuditHead))  # the next audit write cannot find the head
    with pytest.raises(NoResultFound):
        await relais.log_note(world.mentor, "K-1", "must not be stored", [])
    async with relais.db.connect() as conn:
        notes = (await conn.execute(select(NoteRow.id))).all()
    assert notes == []


async def test_audit_holds_no_content(relais: Relais) -> None:
    world = await make_world(relais)
    await relais.log_note(world.mentor, "K-1", "CANARY-audit-7f3a", ["concern"])
    async with relais.db.connect() as conn:
        rows = (await conn.execute(select(AuditEntryRow))).all()
    dumped = repr(rows)
    assert "CANARY" not in dumped
    assert "Mehdi" not in dumped


async def test_concurrent_writers_keep_one_chain(relais: Relais) -> None:
    world = await make_world(relais)
    before = (await relais.audit_verify()).entries
    await asyncio.gather(
        *(relais.log_note(world.mentor, "K-1", f"parallel {i}", []) for i in range(12)),
        *(relais.list_notes(world.owner, "K-1") for _ in range(6)),
    )
    report = await relais.audit_verify()
    assert report.ok, report.problems
    assert report.entries == before + 18
