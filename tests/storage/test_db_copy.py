"""`relais db copy --to postgresql+asyncpg://…`: a populated demo database (SQLite) copied to
a fresh PostgreSQL database, by the real command: every table's rows equal, the audit chain
verifies on the copy, a note decrypts there with the same keys; a non-empty target refused."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Relais
from bot.clock import SystemClock
from bot.config import Config, StorageConfig
from bot.demo import seed_demo
from storage.models import Base

ROOT = Path(__file__).resolve().parents[2]
RELAIS = str(Path(sys.executable).parent / "relais")
NOTE = "Demo note: the mentee called after the hearing; calmer now (ünïcode ✓)"


async def _relais(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        RELAIS, *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def _counts(relais: Relais) -> dict[str, int]:
    async with relais.db.connect() as conn:
        found = {
            t.name: int(await conn.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }
        await conn.rollback()
    return found


@pytest.mark.parametrize(
    "empty_database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_demo_database_is_copied_to_postgresql(
    sqlite_url: str, empty_database_url: str, tmp_path: Path
) -> None:
    data = str(tmp_path / "data")
    source = await Relais.open(
        Config(data_dir=data, storage=StorageConfig(url=sqlite_url)), SystemClock()
    )
    try:
        demo = await seed_demo(source)
        note = await source.log_note(demo.mentor, demo.cases[0], NOTE, ["progress"])
        for i in range(30):  # more audit entries and rows than one screen
            await source.log_note(demo.mentor, demo.cases[1], f"note {i}", [])
        before = await _counts(source)
    finally:
        await source.close()
    assert before["notes"] >= 31
    assert before["audit_log"] > 31

    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env["RELAIS_DATA_DIR"] = data
    env["RELAIS_DATABASE_URL"] = sqlite_url
    code, out, err = await _relais(env, "db", "copy", "--to", empty_database_url)
    assert code == 0, err[-3000:]
    assert "copied notes: " in out
    assert "verified " in out
    assert "Traceback" not in err

    copy_env = {**env, "RELAIS_DATABASE_URL": empty_database_url}
    code, out, err = await _relais(copy_env, "audit", "verify")
    assert code == 0, out + err
    copy = await Relais.open(
        Config(data_dir=data, storage=StorageConfig(url=empty_database_url)), SystemClock()
    )
    try:
        assert await _counts(copy) == before
        mentor = await copy.identify("console", "demo")
        assert mentor is not None
        notes = await copy.list_notes(mentor, demo.cases[0], limit=50)
        assert [n.body for n in notes if n.id == note.id] == [NOTE]
        await copy.log_note(mentor, demo.cases[0], "written on the copy", [])  # keys go on
        assert (await copy.audit_verify()).ok
    finally:
        await copy.close()

    code, out, err = await _relais(env, "db", "copy", "--to", empty_database_url)
    assert code != 0
    assert "not empty" in err
    assert "Traceback" not in err
