"""The crash test of the issue: a real `relais run` process (SQLite, Telegram channel against the
fake Bot API server) with 1,000 check-ins falling due, killed with SIGKILL at 20 random moments
and restarted each time: half of the kills at a random moment of the start or the catch-up, half
at a random moment while reminders are being sent and recorded (the dangerous part).

What it proves:
- never lost: every occurrence's reminder reaches the fake Telegram server;
- never a second reminder: one occurrence per (schedule, due time), one outbox message per
  occurrence and recipient (one idempotency key), all recorded `sent` at the end;
- the only possible copies are the Telegram residual window (the Bot API has no idempotency
  key): a message the server accepted while the kill prevented its "sent" record; its outbox row
  was therefore claimed again (attempts > 1). The number of such copies is printed and bounded
  by the messages in flight at each kill (send concurrency 1 here: at most one per kill).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Relais
from bot.checkins.tokens import parse_checkin_token
from storage.models import CheckinOccurrenceRow, OutboxRow
from tests.checkins.seed import FIRST_USER, seed
from tests.checkins.test_two_processes import N, _sent_count, _wait_all_sent
from tests.fakes.telegram_server import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = 100
KILLS = 20


def _config_file(tmp_path: Path, relais: Relais, fake: FakeBotApi) -> Path:
    path = tmp_path / "relais.toml"
    path.write_text(
        f"""
data_dir = "{relais.config.data_dir}"
log_level = "WARNING"

[storage]
url = "{relais.config.database_url()}"

[telegram]
enabled = true
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
poll_timeout = 1

[checkins]
send_lease = "1s"
poll_interval = "1s"
send_concurrency = 1
""",
        encoding="utf-8",
    )
    return path


async def _spawn(config: Path, token: str, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env["RELAIS_TELEGRAM_TOKEN"] = token
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; from bot.cli import main; sys.exit(main())",
            "--config",
            str(config),
            "run",
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=err,
        )


@pytest.mark.slow
async def test_relais_killed_twenty_times_delivers_every_reminder(
    sqlite_relais: Relais, tmp_path: Path
) -> None:
    relais = sqlite_relais
    now = datetime.now(UTC)
    async with FakeBotApi() as fake:
        for i in range(PEOPLE):
            uid = FIRST_USER + i
            fake._chat(uid, fake._user(uid, f"Mentor{i}", None))
        try:
            await seed(
                relais,
                now=now,
                people=PEOPLE,
                cases=200,
                schedules=N,
                due=N,
                due_at=now - timedelta(seconds=30),
            )
            config = _config_file(tmp_path, relais, fake)
            log = tmp_path / "relais.log"
            rng = random.Random(7)
            first_send: float | None = None
            kills = 0
            progress: list[int] = []
            loop = asyncio.get_running_loop()
            while kills < KILLS:
                started = loop.time()
                sends_before = len(fake.calls("sendMessage"))
                proc = await _spawn(config, fake.token, log)
                if first_send is None:  # learn how long a start takes, once
                    while len(fake.calls("sendMessage")) == sends_before:
                        assert proc.returncode is None, log.read_text()[-2000:]
                        await asyncio.sleep(0.01)
                    first_send = loop.time() - started
                if kills % 2:
                    # a random moment of the start or the catch-up
                    await asyncio.sleep(rng.uniform(0.0, first_send))
                else:
                    # a random moment while reminders are being sent and recorded
                    while len(fake.calls("sendMessage")) == sends_before:
                        if proc.returncode is not None or loop.time() - started > 30:
                            break
                        await asyncio.sleep(0.005)
                    await asyncio.sleep(rng.uniform(0.0, 0.3))
                if proc.returncode is None:
                    proc.send_signal(signal.SIGKILL)
                await proc.wait()
                assert proc.returncode == -signal.SIGKILL, log.read_text()[-2000:]
                kills += 1
                progress.append(await _sent_count(relais))
            proc = await _spawn(config, fake.token, log)
            try:
                await _wait_all_sent(relais, N, within=90)
                await asyncio.sleep(0.5)
            finally:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 20)
            async with relais.db.connect() as conn:
                occurrences = set(
                    (await conn.execute(select(CheckinOccurrenceRow.id))).scalars().all()
                )
                outbox = (
                    await conn.execute(
                        select(OutboxRow.occurrence_id, OutboxRow.status, OutboxRow.attempts)
                    )
                ).all()
        finally:
            await relais.close()
        delivered: Counter[str] = Counter()
        for i in range(PEOPLE):
            for message in fake.sent(FIRST_USER + i):
                tokens = [parse_checkin_token(data) for _, data in message.buttons]
                occ = {t.occurrence_id for t in tokens if t is not None}
                assert len(occ) == 1, message.text
                assert message.text.startswith("Check-in due")
                delivered[occ.pop()] += 1
    assert len(occurrences) == N
    assert len(outbox) == N
    assert {r.status for r in outbox} == {"sent"}
    assert set(delivered) == occurrences, "a reminder was lost"
    copies = {occ: n for occ, n in delivered.items() if n > 1}
    attempts = {r.occurrence_id: r.attempts for r in outbox}
    assert all(attempts[occ] > 1 for occ in copies), "a copy without an interrupted send"
    # send concurrency 1: at most one message sent-but-not-recorded at any kill
    assert sum(n - 1 for n in copies.values()) <= KILLS
    assert any(0 < p < N for p in progress), f"no kill landed during delivery: {progress}"
    print(
        f"\n{kills} kills (delivered before each: {progress}); first send {first_send:.2f}s "
        f"after start; Telegram copies from the residual window: {len(copies)}"
    )
