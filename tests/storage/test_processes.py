"""Two processes writing to one database keep a single, valid audit chain."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.app import Relais
from tests.storage.helpers import make_world

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import asyncio, sys
from bot.app import Relais
from bot.clock import SystemClock
from bot.config import Config, StorageConfig

async def main(url, data_dir, user_id, count):
    relais = await Relais.open(Config(data_dir=data_dir, storage=StorageConfig(url=url)),
                               SystemClock())
    try:
        actor = await relais.identify("telegram", user_id)
        for i in range(int(count)):
            await relais.log_note(actor, "K-1", f"from {user_id} #{i}", [])
            await relais.list_notes(actor, "K-1", limit=5)
    finally:
        await relais.close()

asyncio.run(main(*sys.argv[1:]))
"""


async def test_two_processes_one_chain(relais: Relais) -> None:
    await make_world(relais)
    before = (await relais.audit_verify()).entries
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env["PYTHONPATH"] = str(ROOT)
    url = relais.config.database_url()
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", WRITER, url, relais.config.data_dir, user, "10",
            env=env, cwd=str(ROOT),
            stderr=asyncio.subprocess.PIPE,
        )
        for user in ("tg-Mehdi Mentor", "tg-Olga Owner")
    ]  # fmt: skip
    for proc in procs:
        _out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
    report = await relais.audit_verify()
    assert report.ok, report.problems
    assert report.entries == before + 2 * 10 * 2
