"""Key rotation: a new key, everything re-encrypted, resumable after an interruption."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Relais
from storage.crypto import key_id_of
from storage.models import NoteRow, PractitionerRow
from tests.storage.helpers import make_world


async def _key_ids(relais: Relais) -> set[str]:
    async with relais.db.engine.connect() as conn:
        notes = (await conn.execute(select(NoteRow.body_enc))).scalars().all()
        names = (await conn.execute(select(PractitionerRow.display_name_enc))).scalars().all()
    return {key_id_of(b) for b in [*notes, *names]}


async def test_rotate_interrupted_then_resumed(relais: Relais) -> None:
    world = await make_world(relais)
    for i in range(7):
        await relais.log_note(world.mentor, "K-1", f"note {i}", [])
    await relais.save_session("telegram", "c", {"v": 1})
    assert await _key_ids(relais) == {"k1"}

    partial = await relais.rotate_keys(batch=2, stop_after_batches=3)
    assert not partial.finished
    assert await _key_ids(relais) == {"k1", "k2"}  # half way: both keys readable
    assert [n.body for n in await relais.list_notes(world.owner, "K-1")]

    done = await relais.rotate_keys(batch=2)  # resumes (no third key)
    assert done.finished
    assert done.resumed
    assert done.target_key_id == "k2"
    assert await _key_ids(relais) == {"k2"}
    assert sorted(n.body for n in await relais.list_notes(world.owner, "K-1")) == [
        f"note {i}" for i in range(7)
    ]
    assert (await relais.load_session("telegram", "c")) is not None
    assert await relais.identify("telegram", "tg-Mehdi Mentor") is not None
    assert (await relais.revoke("Mehdi Mentor")).bindings_removed == 1  # lookup by name works
    report = await relais.audit_verify()
    assert report.ok

    reopened = await Relais.open(relais.config, relais.clock)  # the key file holds k1 and k2
    try:
        assert reopened.db.keys.active_id == "k2"
        assert len(await reopened.list_notes(world.owner, "K-1")) == 7
    finally:
        await reopened.close()
