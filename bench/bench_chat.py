"""The chat layer alone: what one message costs Relais (no channel, no network).

    .venv/bin/python bench/bench_chat.py [--chats 50] [--turns 20] [--database-url URL]

Enrolled mentors walk the bundled crisis dialog through `ChatService.handle` (dedupe, sender
and conversation read, engine, encrypted save): "/crisis", then "2" (the second option), and
again. Prints the cost of a turn, one chat at a time and all chats at once, on a fresh SQLite
file (or on a fresh PostgreSQL database created beside `--database-url`).

Then the rule of issue 18, "counting never slows a reply" (no more than 5 %): the CPU time of
each reply, one chat at a time, with the usage figures counted (`bot.chat.usage`) for half of
the chats and not for the other half (a recorder with nowhere to write skips every count),
the halves swapped every round (`--rounds`); turn by turn side by side, so the machine's
drift, large here, touches both alike. (Comparing whole walks one after the other, every
chat at once, was tried first: its pairs spread over +/-25 % on this machine.)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_telegram import fresh_database

from bot.chat.usage import UsageRecorder
from bot.config import Config, StorageConfig
from bot.messages import Incoming
from bot.runtime import Runtime, open_runtime

_EVENTS = count(1)


def message(user_id: str, turn: int) -> Incoming:
    """The `turn`-th message of a mentor's walk: "/crisis", then "2" (the second option)."""
    return Incoming(
        channel="telegram",
        chat_id=user_id,
        user_id=user_id,
        event_id=f"{user_id}.{next(_EVENTS)}.{time.monotonic_ns()}",
        received_at=datetime.now(UTC),
        text="/crisis" if turn % 2 == 0 else "2",
        encrypted=False,
    )


async def walk(
    runtime: Runtime, users: list[str], turns: int, *, together: bool
) -> tuple[float, float]:
    """Seconds per turn, wall clock and this process's CPU time (steadier on a loaded
    machine): every user takes `turns` turns, one user after the other or all at once
    (interleaved on the event loop)."""

    async def user(user_id: str) -> None:
        for turn in range(turns):
            await runtime.chat.handle(message(user_id, turn))

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
    parser.add_argument("--rounds", type=int, default=10, help="rounds counting on / off")
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
                counting, quiet, flush = await counting_pairs(
                    runtime, users, args.turns, args.rounds
                )
            finally:
                await runtime.close()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"chat layer on {backend}, {args.chats} mentors x {args.turns} turns of the crisis "
        f"dialog: {one * 1e3:.2f} ms a turn one chat at a time, {many * 1e3:.2f} ms a turn "
        f"with every chat at once ({1 / many:,.0f} turns/s); CPU time of this process "
        f"{one_cpu * 1e3:.3f} / {many_cpu * 1e3:.3f} ms a turn"
    )
    on, off = statistics.fmean(counting), statistics.fmean(quiet)
    ratios = sorted(a / b - 1 for a, b in zip(counting, quiet, strict=True))
    print(
        f"usage counting (issue 18: at most 5 % slower), CPU time of a reply, half the chats "
        f"counted, {args.rounds} rounds: {on * 1e3:.3f} ms counted, {off * 1e3:.3f} ms not "
        f"counted: {(on / off - 1) * 100:+.1f} % (rounds from {ratios[0] * 100:+.1f} to "
        f"{ratios[-1] * 100:+.1f} %); writing a round's counts ({len(users) * args.turns} "
        f"turns) to the database, off the reply path: {flush * 1e3:.1f} ms"
    )


async def counting_pairs(
    runtime: Runtime, users: list[str], turns: int, rounds: int
) -> tuple[list[float], list[float], float]:
    """The CPU time of each reply (this process; one chat at a time, so a reply's time is its
    own), with the usage figures counted for half of the chats and not for the other half
    (a recorder with nowhere to write skips every count), the halves swapped every round: the
    two are measured turn by turn side by side, so the machine's drift touches both alike.
    Returns the seconds per reply counted and not counted, one pair per round, and the CPU
    time of writing one round's counts to the database (`UsageRecorder.flush`, every 30 s in
    production, off the reply path: timed apart)."""
    service = runtime.chat
    counted = service.core.usage
    silent = UsageRecorder(object(), runtime.clock)
    on: list[float] = []
    off: list[float] = []
    flushes: list[float] = []
    for round_ in range(rounds):
        spent = {True: 0, False: 0}
        for turn in range(turns):
            for index, user_id in enumerate(users):
                counting = (index + round_) % 2 == 0
                service.core.usage = counted if counting else silent
                incoming = message(user_id, turn)
                started = time.process_time_ns()
                await service.handle(incoming)
                spent[counting] += time.process_time_ns() - started
        service.core.usage = counted
        replies = turns * len(users) / 2
        on.append(spent[True] / replies / 1e9)
        off.append(spent[False] / replies / 1e9)
        started_ns = time.process_time_ns()
        await counted.flush()
        flushes.append((time.process_time_ns() - started_ns) / 1e9)
    return on, off, statistics.median(flushes)


if __name__ == "__main__":
    asyncio.run(main())
