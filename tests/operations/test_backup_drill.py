"""The backup drill (issue 17): the bot keeps taking notes and sending reminders while
`relais backup` runs; `relais restore` into a fresh data directory (with the keys put back
separately) loses nothing committed before the backup, doubles nothing, verifies its audit
chain, decrypts its notes, and resumes the schedules under the late-window policy."""

from __future__ import annotations

import asyncio
import shutil
import stat
from datetime import time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Relais
from bot.checkins.dispatcher import CheckinDispatcher
from bot.cli import main
from bot.config import load_config
from storage.models import NoteRow, OutboxRow
from storage.recurrence import Weekly
from tests.checkins.conftest import CASE, RecordingChannel, Team, at_paris

pytestmark = pytest.mark.usefixtures("sqlite_only")


@pytest.fixture
def sqlite_only(team: Team) -> None:
    if team.relais.db.engine.dialect.name != "sqlite":
        pytest.skip("relais backup is SQLite's online backup; PostgreSQL uses pg_dump")


def _config(path: Path, data: Path, url: str | None = None) -> str:
    storage = f'[storage]\nurl = "{url}"\n' if url else ""
    path.write_text(f'data_dir = "{data}"\n{storage}', encoding="utf-8")
    return str(path)


async def test_backup_while_running_then_restore_on_a_fresh_directory(
    team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    relais = team.relais
    live = _config(tmp_path / "live.toml", relais.config.data_path, relais.config.database_url())
    for day in range(5):  # check-ins every weekday at 09:00
        await team.service.create_schedule(
            team.owner,
            CASE,
            Weekly(day, time(9, 0), "Europe/Paris"),
            reminded_id=team.mentor.practitioner_id,
        )
    await team.run_until(at_paris(2026, 1, 5, 9, 0))  # Monday's reminder is sent
    team.take(team.mentor, "Check-in due")

    committed: list[str] = []  # note ids, in commit order
    stop = asyncio.Event()

    async def take_notes() -> None:
        i = 0
        while not stop.is_set():
            note = await relais.log_note(team.mentor, CASE, f"visit {i}: steady")
            committed.append(note.id)
            i += 1
            await asyncio.sleep(0.005)

    async def send_reminders() -> None:  # Monday goes on: escalations are sent meanwhile
        while not stop.is_set():
            if team.clock.now() < at_paris(2026, 1, 5, 18, 0):
                team.clock.advance(timedelta(minutes=3))
            await team.tick()
            await asyncio.sleep(0.001)

    writers = [asyncio.create_task(take_notes()), asyncio.create_task(send_reminders())]
    await asyncio.sleep(0.3)
    before = list(committed)  # committed before the backup starts
    backup = tmp_path / "backups" / "relais-backup.db"
    code = await asyncio.to_thread(main, ["--config", live, "backup", str(backup)])
    after = list(committed)
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*writers)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "The keys are NOT in it" in out
    assert f"encryption keys: {relais.config.data_path / 'keys' / 'encryption.keys'}" in out
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert len(before) > 5
    assert len(committed) > len(after)  # the bot went on writing after the backup
    key_file = relais.config.data_path / "keys" / "encryption.keys"
    audit_secret = relais.config.data_path / "keys" / "audit.secret"
    for secret in (key_file, audit_secret):  # neither the keys nor the audit secret
        assert secret.read_text().strip().encode() not in backup.read_bytes()
    assert f"audit secret: {audit_secret}" in out
    async with relais.db.connect() as conn:
        sent_before = set(
            (
                await conn.execute(
                    select(OutboxRow.idempotency_key).where(OutboxRow.status == "sent")
                )
            ).scalars()
        )
    team.telegram.sent.clear()
    team.matrix.sent.clear()

    # a fresh machine: the keys come back from their own backup, then the database
    fresh = tmp_path / "fresh"
    shutil.copytree(relais.config.data_path / "keys", fresh / "keys")
    restored_cfg = _config(tmp_path / "restored.toml", fresh)
    assert await asyncio.to_thread(main, ["--config", restored_cfg, "restore", str(backup)]) == 0
    assert "restored" in capsys.readouterr().out
    # never over a live database
    assert await asyncio.to_thread(main, ["--config", restored_cfg, "restore", str(backup)]) == 1
    assert "refusing to overwrite the database" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["--config", live, "restore", str(backup)]) == 1
    capsys.readouterr()

    team.clock.set(at_paris(2026, 1, 6, 9, 20))  # restored on Tuesday morning
    restored = await Relais.open(load_config(restored_cfg), team.clock)
    try:
        assert (await restored.audit_verify()).ok
        notes = await restored.list_notes(team.mentor, CASE, limit=200)
        assert notes
        assert all(n.body.startswith("visit ") for n in notes)  # they decrypt
        async with restored.db.connect() as conn:
            ids = list((await conn.execute(select(NoteRow.id))).scalars())
            restored_sent = set(
                (
                    await conn.execute(
                        select(OutboxRow.idempotency_key).where(OutboxRow.status == "sent")
                    )
                ).scalars()
            )
        assert len(ids) == len(set(ids))  # nothing doubled
        assert set(before) <= set(ids)  # nothing committed before the backup is lost
        assert set(ids) <= set(after)  # and nothing from after the copy finished
        assert restored_sent <= sent_before
        # schedules resume: Tuesday 09:00 fell due between the backup and the restore (late,
        # within late_window); nothing recorded sent in the backup is sent again
        channel = RecordingChannel("telegram", team.clock)
        dispatcher = CheckinDispatcher(
            restored.db, team.clock, restored.config.checkins, {"telegram": channel}
        )
        await dispatcher.tick()
        texts = [s.reply.text for s in channel.sent if s.user_id == "t-mentor"]
        assert texts == ["Check-in due (late, was due Tue 06 Jan 09:00): case K-7F3A"]
        assert not set(channel.keys) & restored_sent
    finally:
        await restored.close()


async def test_restore_refuses_a_backup_of_an_unknown_schema_and_postgresql_points_to_pg_dump(
    team: Team, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    relais = team.relais
    live = _config(tmp_path / "live.toml", relais.config.data_path, relais.config.database_url())
    backup = tmp_path / "b.db"
    assert await asyncio.to_thread(main, ["--config", live, "backup", str(backup)]) == 0
    assert await asyncio.to_thread(main, ["--config", live, "backup", str(backup)]) == 1
    assert "exists: give a new file name" in capsys.readouterr().err
    with sqlite3.connect(backup) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    fresh = _config(tmp_path / "fresh.toml", tmp_path / "fresh")
    assert await asyncio.to_thread(main, ["--config", fresh, "restore", str(backup)]) == 1
    err = capsys.readouterr().err
    assert "schema revision 9999_from_the_future, unknown to this Relais" in err
    assert not (tmp_path / "fresh" / "relais.db").exists()
    pg = _config(tmp_path / "pg.toml", tmp_path / "pg", "postgresql://relais@127.0.0.1/relais")
    assert await asyncio.to_thread(main, ["--config", pg, "backup", str(tmp_path / "x")]) == 1
    assert "back it up with pg_dump" in capsys.readouterr().err
