"""Key rotation: a new key, everything re-encrypted, resumable after an interruption."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.errors import ConfigError
from storage.crypto import format_key_line, generate_key, key_id_of
from storage.models import DialogDraftRow, NoteRow, PractitionerRow
from tests.storage.helpers import make_world
from tests.stored import stored_session


async def _key_ids(relais: Relais) -> set[str]:
    async with relais.db.connect() as conn:
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
    assert (await stored_session(relais, "telegram", "c")) is not None
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


async def test_rotation_with_keys_from_the_environment(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = format_key_line("a", generate_key())
    monkeypatch.setenv("RELAIS_KEYS", first)
    monkeypatch.delenv("RELAIS_DATABASE_URL", raising=False)
    config = Config(data_dir=str(tmp_path / "d"), storage=StorageConfig(url=sqlite_url))
    relais = await Relais.open(config, FakeClock())
    try:
        world = await make_world(relais)
        await relais.log_note(world.mentor, "K-1", "kept", [])
        with pytest.raises(ConfigError, match="RELAIS_KEYS"):
            await relais.rotate_keys()
    finally:
        await relais.close()
    monkeypatch.setenv("RELAIS_KEYS", first + "\n" + format_key_line("b", generate_key()))
    relais = await Relais.open(config, FakeClock())
    try:
        progress = await relais.rotate_keys(new_key=False)
        assert progress.finished
        assert progress.target_key_id == "b"
        assert await _key_ids(relais) == {"b"}
        assert [n.body for n in await relais.list_notes(world.mentor, "K-1")] == ["kept"]
    finally:
        await relais.close()


async def test_text_wrapped_ciphertext_is_rotated(relais: Relais) -> None:
    keys, now = relais.db.keys, relais.clock.now()
    blob = keys.encrypt("id: draft", table="dialog_drafts", column="source", row_id="d1")
    async with relais.db.begin() as conn:
        await conn.execute(
            insert(DialogDraftRow).values(
                id="d1",
                dialog_id="draft",
                source="enc:" + base64.b64encode(blob).decode(),
                checksum="x",
                status="draft",
                created_at=now,
                updated_at=now,
            )
        )
    assert (await relais.rotate_keys()).finished
    async with relais.db.connect() as conn:
        stored = (await conn.execute(select(DialogDraftRow.source))).scalar_one()
    rotated = base64.b64decode(stored.removeprefix("enc:"))
    assert key_id_of(rotated) == "k2"
    ring = relais.db.keys
    assert ring.decrypt(rotated, table="dialog_drafts", column="source", row_id="d1") == (
        "id: draft"
    )
