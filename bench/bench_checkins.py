"""Check-in benchmark: 100,000 active schedules.

Prints: the time to start the check-ins (rebuild the timers from the database and run the first
tick), resident memory, and the time to deliver 1,000 reminders falling due in the same minute
through the real Telegram adapter and the fake Bot API server (due instant -> last "sent"
recorded), with the APScheduler timer and the system clock.

Targets (issue 7): start < 5 s, RSS < 300 MB, 1,000 delivered < 30 s.

Run: .venv/bin/python bench/bench_checkins.py [--schedules 100000] [--due 1000] [--db URL]
(default: a temporary SQLite database; --db postgresql://... for PostgreSQL, an empty database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, update

from bot.app import Relais
from bot.background import Background
from bot.channels.telegram import TelegramChannel
from bot.checkins.service import CheckinService
from bot.clock import SystemClock
from bot.config import CheckinsConfig, Config, StorageConfig
from bot.messages import Incoming, Reply
from storage.models import CheckinScheduleRow, OutboxRow
from tests.checkins.seed import FIRST_USER, seed
from tests.fakes.telegram_server import FakeBotApi

TARGET_START_S = 5.0
TARGET_RSS_MB = 300.0
TARGET_DELIVER_S = 30.0


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


async def sent_count(relais: Relais) -> int:
    async with relais.db.connect() as conn:
        found = await conn.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "sent")
        )
    return int(found or 0)


async def handler(incoming: Incoming) -> list[Reply]:
    return []


async def main(args: argparse.Namespace) -> None:
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        os.environ.pop(name, None)
    workdir = tempfile.mkdtemp(prefix="relais-bench-checkins-")
    url = args.db or f"sqlite:///{workdir}/relais.db"
    config = Config(
        data_dir=workdir,
        storage=StorageConfig(url=url),
        checkins=CheckinsConfig(send_concurrency=args.concurrency),
    )
    relais = await Relais.open(config, SystemClock(), migrate_schema=True)
    people = max(1, args.schedules // 100)
    now = datetime.now(UTC)
    t0 = time.perf_counter()
    seeded_ids = await seed(
        relais,
        now=now,
        people=people,
        cases=max(1, args.schedules // 10),
        schedules=args.schedules,
        due=args.due,
        due_at=now + timedelta(hours=1),
    )
    seeded = time.perf_counter() - t0
    # the due ones fall due at the start of the next minute (at least 15 s from now)
    due_at = (datetime.now(UTC) + timedelta(seconds=75)).replace(second=0, microsecond=0)
    async with relais.db.begin() as conn:
        for start in range(0, len(seeded_ids.due_ids), 500):
            await conn.execute(
                update(CheckinScheduleRow)
                .where(CheckinScheduleRow.id.in_(seeded_ids.due_ids[start : start + 500]))
                .values(next_due_at=due_at, weekday=due_at.weekday(), at_time=f"{due_at:%H:%M}")
            )
    print(
        f"seeded {args.schedules:,} schedules ({args.due:,} due at {due_at:%H:%M:%S} UTC, "
        f"{people:,} practitioners) on {relais.db.engine.dialect.name} in {seeded:.1f} s"
    )
    rss_before = rss_mb()

    async with FakeBotApi() as fake:
        for i in range(people):
            uid = FIRST_USER + i
            fake._chat(uid, fake._user(uid, f"Mentor{i}", None))
        channel = TelegramChannel(fake.config(), fake.token)
        await channel.start(handler)
        service = CheckinService(relais, config, relais.clock)
        t0 = time.perf_counter()
        background = Background(service)
        await background.start([channel])
        if service.timer is not None:
            await service.timer.wait_idle()  # the first tick (nothing due yet) is done
        started = time.perf_counter() - t0
        rss_started = rss_mb()
        wake = await service.dispatcher.next_wakeup() if service.dispatcher else None
        print(
            f"start (timers rebuilt from the database, first tick): {started * 1000:.0f} ms "
            f"[target < {TARGET_START_S:.0f} s] {'OK' if started < TARGET_START_S else 'ABOVE'}"
        )
        print(f"  next wake-up armed at {wake:%H:%M:%S} UTC" if wake else "  nothing armed")
        print(
            f"RSS after start: {rss_started:.0f} MB (before start {rss_before:.0f} MB) "
            f"[target < {TARGET_RSS_MB:.0f} MB] {'OK' if rss_started < TARGET_RSS_MB else 'ABOVE'}"
        )
        # wait for the due minute; the timer fires, the dispatcher delivers
        await asyncio.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds()))
        t_due = time.perf_counter()
        while await sent_count(relais) < args.due:
            await asyncio.sleep(0.05)
            if time.perf_counter() - t_due > 300:
                raise SystemExit("not delivered within 300 s")
        delivered = time.perf_counter() - t_due
        messages = sum(len(fake.sent(FIRST_USER + i)) for i in range(people))
        await background.stop()
        await channel.stop()
    await relais.close()
    print(
        f"{args.due:,} reminders due in the same minute delivered through the fake Telegram "
        f"server in {delivered:.1f} s ({args.due / delivered:.0f}/s, send concurrency "
        f"{args.concurrency}) [target < {TARGET_DELIVER_S:.0f} s] "
        f"{'OK' if delivered < TARGET_DELIVER_S else 'ABOVE'}"
    )
    print(f"  messages received by the fake server: {messages:,}")
    print(f"peak RSS of the whole run (incl. seeding and the fake server): {peak_rss_mb():.0f} MB")
    # the figures that matter for a deployment: a fresh `relais` process on this database
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        "--db",
        url,
        "--data-dir",
        workdir,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    print(out.decode().rstrip())


async def child(args: argparse.Namespace) -> None:
    """A fresh process: open the application on the seeded database and start the check-ins
    with no channel (nothing is due): the start of `relais run` as far as check-ins go."""
    t0 = time.perf_counter()
    config = Config(data_dir=args.data_dir, storage=StorageConfig(url=args.db))
    relais = await Relais.open(config, SystemClock())
    opened = time.perf_counter() - t0
    service = CheckinService(relais, config, relais.clock)
    t1 = time.perf_counter()
    background = Background(service)
    await background.start([])
    if service.timer is not None:
        await service.timer.wait_idle()
    started = time.perf_counter() - t1
    print(
        f"fresh process on {args.schedules_hint}: open {opened * 1000:.0f} ms, check-ins start "
        f"(timers rebuilt + first tick) {started * 1000:.0f} ms, RSS {rss_mb():.0f} MB "
        f"[targets < {TARGET_START_S:.0f} s, < {TARGET_RSS_MB:.0f} MB]"
    )
    await background.stop()
    await relais.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schedules", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--db", help="database URL (default: temporary SQLite)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    parsed.schedules_hint = "the seeded database"
    asyncio.run(child(parsed) if parsed.child else main(parsed))
