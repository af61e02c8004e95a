"""Two dispatcher processes on one database (PostgreSQL: row locks with SKIP LOCKED; SQLite:
the single writer), ticking on the same 1,000 due occurrences at once: each reminder is sent
exactly once.

The processes run `tests/checkins/crash_worker.py`: the dispatcher with a channel that appends
each send to a file with its idempotency key, fsync'ed before the send is reported. (The SIGKILL
test with a real `relais` process is `test_crash_telegram.py`.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Relais
from bot.config import Config
from storage.models import CheckinOccurrenceRow, OutboxRow
from tests.checkins.seed import seed

ROOT = Path(__file__).resolve().parents[2]
N = 1000


async def _spawn(
    config: Config, url: str, out: Path, pid: str, *, lease: float, delay: float
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.checkins.crash_worker",
        "--db",
        url,
        "--data-dir",
        config.data_dir,
        "--out",
        str(out),
        "--process-id",
        pid,
        "--lease",
        str(lease),
        "--send-delay",
        str(delay),
        "--concurrency",
        "4",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert line.strip() == b"ready", line
    return proc


async def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGKILL)
    await proc.wait()


async def _sent_count(relais: Relais) -> int:
    async with relais.db.connect() as conn:
        return int(
            await conn.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "sent")
            )
            or 0
        )


async def _wait_all_sent(relais: Relais, expected: int, within: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while await _sent_count(relais) < expected:
        assert loop.time() < deadline, "reminders not all delivered in time"
        await asyncio.sleep(0.1)


def _lines(*paths: Path) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for path in paths:
        if path.exists():
            for raw in path.read_text().splitlines():
                key, user = raw.split(" ")
                out.append((key, user))
    return out


async def _expected_keys(relais: Relais) -> dict[str, str]:
    """occurrence id -> the idempotency key of its reminder, from the database."""
    async with relais.db.connect() as conn:
        occurrences = (await conn.execute(select(CheckinOccurrenceRow.id))).scalars().all()
        rows = (
            await conn.execute(
                select(OutboxRow.occurrence_id, OutboxRow.idempotency_key, OutboxRow.status)
            )
        ).all()
    assert len(occurrences) == N  # one occurrence per due schedule, never two
    assert len(rows) == N
    assert {r.status for r in rows} == {"sent"}
    keys = {r.occurrence_id: r.idempotency_key for r in rows}
    assert set(keys) == set(occurrences)
    return keys


@pytest.mark.slow
async def test_two_processes_send_each_reminder_once(
    relais: Relais, config: Config, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    await seed(
        relais,
        now=now,
        people=50,
        cases=200,
        schedules=N,
        due=N,
        due_at=now - timedelta(seconds=5),
    )
    url = config.database_url()
    outs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = await asyncio.gather(
        *(
            _spawn(config, url, out, f"proc-{i}", lease=60, delay=0.002)
            for i, out in enumerate(outs)
        )
    )
    try:
        await _wait_all_sent(relais, N)
        await asyncio.sleep(0.3)  # give a duplicate, if any, the time to show up
    finally:
        for proc in procs:
            await _kill(proc)
    keys = await _expected_keys(relais)
    lines = _lines(*outs)
    counts = Counter(key for key, _ in lines)
    assert set(counts) == set(keys.values())
    assert max(counts.values()) == 1, "a reminder was sent by both processes"
    per_process = [len(_lines(out)) for out in outs]
    print(f"\nsent per process: {per_process}")
