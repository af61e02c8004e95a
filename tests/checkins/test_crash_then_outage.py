"""Issue 17's report, reproduced: a real `relais run` (SQLite, Telegram against the fake Bot API)
with 150 reminders due is killed 14 times while sending, then Telegram answers 500 for ten
seconds (longer than the channel's own retries, so sends really fail).

Before the fix every claim counted as an attempt: reminders claimed by the killed processes
reached 8 "attempts" without one failed send, and the first failure of the outage gave them up
for good (escalated to the fallback; nobody told). Now only real failures count: every reminder
is delivered, none is marked failed, and nothing but reminders was sent (no escalation, no
alert)."""

from __future__ import annotations

import asyncio
import random
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Relais
from storage.models import CheckinOccurrenceRow, OutboxRow
from tests.checkins.seed import FIRST_USER, seed
from tests.checkins.test_crash_telegram import _config_file, _spawn
from tests.checkins.test_two_processes import _sent_count, _wait_all_sent
from tests.fakes.telegram_server import FakeBotApi

PEOPLE = 30
N = 150
KILLS = 14


@pytest.mark.slow
async def test_a_crash_loop_then_an_outage_gives_up_no_reminder(
    sqlite_relais: Relais, tmp_path: Path
) -> None:
    relais = sqlite_relais
    now = datetime.now(UTC)
    async with FakeBotApi() as fake:
        for i in range(PEOPLE):
            uid = FIRST_USER + i
            fake._chat(uid, fake._user(uid, f"Mentor{i}", None))
        fake.delay("sendMessage", 0.05)  # a slow Bot API: a kill leaves most of a batch unsent
        try:
            await seed(
                relais,
                now=now,
                people=PEOPLE,
                cases=50,
                schedules=N,
                due=N,
                due_at=now - timedelta(seconds=30),
            )
            config = _config_file(tmp_path, relais, fake)
            log = tmp_path / "relais.log"
            rng = random.Random(17)
            loop = asyncio.get_running_loop()
            kills = 0
            while kills < KILLS:  # a crash loop: killed each time while sending
                started = loop.time()
                sends_before = len(fake.calls("sendMessage"))
                proc = await _spawn(config, fake.token, log)
                while len(fake.calls("sendMessage")) == sends_before:
                    assert proc.returncode is None, log.read_text()[-2000:]
                    assert loop.time() - started < 60, "no send after a start"
                    await asyncio.sleep(0.005)
                await asyncio.sleep(rng.uniform(0.0, 0.2))
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                kills += 1
            left = N - await _sent_count(relais)
            async with relais.db.connect() as conn:
                claims = (await conn.execute(select(OutboxRow.attempts))).scalars().all()
            assert left > 0, "the crash loop delivered everything: nothing left to prove"
            assert max(claims) >= 8, f"no reminder claimed 8 times by the crash loop: {claims}"
            # then Telegram fails for twenty seconds: longer than the adapter's own retries (about
            # 7.5 s), even when the restarted process is slow to come up on a loaded machine
            fake.outage("sendMessage", 20.0)
            proc = await _spawn(config, fake.token, log)
            try:
                await _wait_all_sent(relais, N, within=120)
                await asyncio.sleep(0.5)
            finally:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 30)
            async with relais.db.connect() as conn:
                occurrences = set(
                    (await conn.execute(select(CheckinOccurrenceRow.id))).scalars().all()
                )
                outbox = (
                    await conn.execute(
                        select(
                            OutboxRow.kind,
                            OutboxRow.status,
                            OutboxRow.attempts,
                            OutboxRow.failures,
                        )
                    )
                ).all()
        finally:
            await relais.close()
        failed_calls = [c for c in fake.calls("sendMessage") if c.status == 500]
        texts = [m.text for i in range(PEOPLE) for m in fake.sent(FIRST_USER + i)]
    assert len(occurrences) == N
    assert {(r.kind, r.status) for r in outbox} == {("remind", "sent")}, "given up or alerted"
    assert len(outbox) == N
    assert failed_calls, "the outage never hit a send"
    assert any(r.failures >= 1 for r in outbox), "no send failed for real"
    assert all(r.failures <= 2 for r in outbox), [r.failures for r in outbox]
    assert all(t.startswith("Check-in due") for t in texts), "an escalation or alert was sent"
    print(
        f"\n{kills} kills, {left} reminders left after them, most claims {max(claims)}; "
        f"{len(failed_calls)} sends refused during the outage, "
        f"{sum(1 for r in outbox if r.failures)} reminders with a real failure, all delivered"
    )
