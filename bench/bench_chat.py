"""The chat layer alone: what one message costs Relais (no channel, no network).

    .venv/bin/python bench/bench_chat.py [--chats 50] [--turns 20] [--database-url URL]

Enrolled mentors walk the bundled crisis dialog through `ChatService.handle` (dedupe, sender
and conversation read, engine, encrypted save): "/crisis", then "2" (the second option), and
again. Prints the cost of a turn, one chat at a time and all chats at once, on a fresh SQLite
file (or on a fresh PostgreSQL database created beside `--database-url`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_telegram import fresh_database

from bot.config import Config, StorageConfig
from bot.messages import Incoming
from bot.runtime import Runtime, open_runtime


async def walk(
    runtime: Runtime, users: list[str], turns: int, *, together: bool
) -> tuple[float, float]:
    """Seconds per turn, wall clock and this process's CPU time (steadier on a loaded
    machine): every user takes `turns` turns, one user after the other or all at once
    (interleaved on the event loop)."""
    events = count(1)

    async def user(user_id: str) -> None:
        for turn in range(turns):
            text = "/crisis" if turn % 2 == 0 else "2"
            await runtime.chat.handle(
                Incoming(
                    channel="telegram",
                    chat_id=user_id,
                    user_id=user_id,
                    event_id=f"{user_id}.{next(events)}.{time.monotonic_ns()}",
                    received_at=datetime.now(UTC),
                    text=text,
                    encrypted=False,
                )
            )

    started, cpu = time.perf_counter(), time.process_time()
    if together:
        await asyncio.gather(*(user(u) for u in users))
    else:
        for u in users:
            await user(u)
    done = len(users) * turns
    return (time.perf_counter() - started) / done, (time.process_time() - cpu) / done


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--database-url", default="", help="PostgreSQL server to use")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    async with fresh_database(args.database_url) as url:
        with tempfile.TemporaryDirectory() as data:
            config = Config(data_dir=data, storage=StorageConfig(url=url))
            runtime = await open_runtime(config, migrate_schema=True)
            try:
                await runtime.relais.ensure_team("Bench")
                users = [str(1000 + n) for n in range(args.chats)]
                for user_id in users:
                    invite = await runtime.relais.create_invite(
                        role="mentor", name=f"M{user_id}", team="Bench"
                    )
                    await runtime.relais.redeem_invite("telegram", user_id, invite.code)
                await walk(runtime, users, 2, together=False)  # warm up
                one, one_cpu = await walk(runtime, users, args.turns, together=False)
                many, many_cpu = await walk(runtime, users, args.turns, together=True)
            finally:
                await runtime.close()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"chat layer on {backend}, {args.chats} mentors x {args.turns} turns of the crisis "
        f"dialog: {one * 1e3:.2f} ms a turn one chat at a time, {many * 1e3:.2f} ms a turn "
        f"with every chat at once ({1 / many:,.0f} turns/s); CPU time of this process "
        f"{one_cpu * 1e3:.3f} / {many_cpu * 1e3:.3f} ms a turn"
    )


if __name__ == "__main__":
    asyncio.run(main())
