"""The durable inbox of updates received but not handled yet (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.app import Relais
from bot.clock import FakeClock
from storage.crypto import key_id_of
from storage.models import InboundUpdateRow


def _update(update_id: int, text: str) -> dict[str, object]:
    return {"update_id": update_id, "message": {"message_id": update_id, "text": text}}


async def _rows(relais: Relais) -> int:
    async with relais.db.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(InboundUpdateRow))).scalar()
        await conn.rollback()
    return int(count or 0)


async def test_pending_until_answered_then_forgotten(relais: Relais, clock: FakeClock) -> None:
    assert await relais.pending_updates("telegram") == []
    await relais.store_updates("telegram", [("10", _update(10, "a")), ("11", _update(11, "b"))])
    clock.advance(timedelta(seconds=1))
    await relais.store_updates("telegram", [("12", _update(12, "c é"))])
    await relais.store_updates("matrix", [("$ev", {"body": "m"})])
    pending = await relais.pending_updates("telegram")
    assert [event_id for event_id, _ in pending] == ["10", "11", "12"]  # oldest first
    assert pending[2][1] == _update(12, "c é")
    assert await relais.pending_updates("matrix") == [("$ev", {"body": "m"})]

    # handled (its turn began) is not enough: it is kept until its answer is sent
    assert await relais.first_time("telegram", "11") is True
    assert [e for e, _ in await relais.pending_updates("telegram")] == ["10", "11", "12"]
    assert await relais.forget_updates("telegram", ["11"]) == 1
    assert await relais.forget_updates("telegram", ["11"]) == 0
    assert [e for e, _ in await relais.pending_updates("telegram")] == ["10", "12"]
    assert await _rows(relais) == 3
    # the matrix row is not touched by a telegram forget of the same id
    await relais.store_updates("matrix", [("10", {"body": "n"})])
    assert await relais.forget_updates("telegram", ["10"]) == 1
    assert [e for e, _ in await relais.pending_updates("matrix")] == ["$ev", "10"]


async def test_storing_again_keeps_the_first_copy(relais: Relais) -> None:
    await relais.store_updates("telegram", [("5", _update(5, "first"))])
    # Telegram sends an unconfirmed update again: same id, nothing changes, no error
    await relais.store_updates("telegram", [("5", _update(5, "again")), ("6", _update(6, "x"))])
    assert await relais.pending_updates("telegram") == [
        ("5", _update(5, "first")),
        ("6", _update(6, "x")),
    ]
    assert await _rows(relais) == 2


async def test_a_batch_kept_forgets_the_answered_ones_in_the_same_transaction(
    relais: Relais,
) -> None:
    await relais.store_updates("telegram", [("1", _update(1, "a")), ("2", _update(2, "b"))])
    await relais.store_updates("telegram", [("3", _update(3, "c"))], ["1"])
    assert [e for e, _ in await relais.pending_updates("telegram")] == ["2", "3"]
    assert await _rows(relais) == 2


async def test_housekeeping_drops_old_entries(relais: Relais, clock: FakeClock) -> None:
    await relais.store_updates("telegram", [("1", _update(1, "old"))])
    clock.advance(timedelta(days=1))
    await relais.store_updates("telegram", [("2", _update(2, "newer"))])
    clock.advance(timedelta(days=1, hours=1))
    await relais.expire_sessions()
    assert [e for e, _ in await relais.pending_updates("telegram")] == ["2"]


async def test_payload_is_encrypted_and_bound_to_its_row(relais: Relais) -> None:
    await relais.store_updates("telegram", [("1", _update(1, "secret words"))])
    async with relais.db.connect() as conn:
        row = (await conn.execute(select(InboundUpdateRow))).one()
        await conn.rollback()
    assert b"secret words" not in row.payload_enc
    assert key_id_of(row.payload_enc) == relais.db.keys.active_id
    plain = relais.db.keys.decrypt(
        row.payload_enc, table="inbound_updates", column="payload", row_id=row.id
    )
    assert "secret words" in plain


async def test_rotation_reencrypts_kept_updates(relais: Relais) -> None:
    await relais.store_updates("telegram", [(str(i), _update(i, f"t{i}")) for i in range(5)])
    done = await relais.rotate_keys(batch=2)
    assert done.finished
    async with relais.db.connect() as conn:
        blobs = (await conn.execute(select(InboundUpdateRow.payload_enc))).scalars().all()
        await conn.rollback()
    assert {key_id_of(b) for b in blobs} == {done.target_key_id}
    pending = await relais.pending_updates("telegram")
    assert [p for _, p in pending] == [_update(i, f"t{i}") for i in range(5)]


async def test_a_batch_is_kept_and_the_answered_forgotten_in_one_call(relais: Relais) -> None:
    """What the polling loop does before it confirms a batch (on PostgreSQL one statement)."""
    await relais.store_updates("telegram", [("20", _update(20, "a")), ("21", _update(21, "b"))])
    await relais.store_updates("matrix", [("20", {"body": "m"})])
    await relais.store_updates(
        "telegram", [("22", _update(22, "c")), ("21", _update(21, "again"))], ["20", "99"]
    )
    assert await relais.pending_updates("telegram") == [
        ("21", _update(21, "b")),  # kept already: left as it was
        ("22", _update(22, "c")),
    ]
    assert await relais.pending_updates("matrix") == [("20", {"body": "m"})]
    await relais.store_updates("telegram", [], ["21", "22"])  # nothing new, two answered
    assert await relais.pending_updates("telegram") == []
