"""A dispatcher process for the crash and two-process tests.

    python -m tests.checkins.crash_worker --db URL --data-dir DIR --out FILE --process-id P
        [--lease SECONDS] [--send-delay SECONDS]

It opens the application on the database, and ticks the check-in dispatcher with the system
clock, forever, sending through a channel that appends one line per send to FILE:
``<idempotency key> <user id>``, written and fsync'ed *before* the send is reported (the moment
a real channel would have posted the message). The parent kills it with SIGKILL at random
moments and restarts it; lines prove what was sent, and when something was sent twice.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import timedelta

from bot.app import Relais
from bot.channels.base import Handler, SendResult
from bot.checkins.dispatcher import CheckinDispatcher
from bot.clock import SystemClock
from bot.config import CheckinsConfig, Config, StorageConfig
from bot.messages import Reply


class FileChannel:
    name = "telegram"

    def __init__(self, path: str, delay: float) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._delay = delay

    async def start(self, handler: Handler) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_to_user(
        self,
        user_id: str,
        reply: Reply,
        idempotency_key: str | None = None,
        *,
        expected_identity: str | None = None,
    ) -> SendResult:
        if self._delay:
            await asyncio.sleep(self._delay)  # network latency
        os.write(self._fd, f"{idempotency_key} {user_id}\n".encode())
        os.fsync(self._fd)
        return SendResult("sent")


async def main(args: argparse.Namespace) -> None:
    config = Config(
        data_dir=args.data_dir,
        storage=StorageConfig(url=args.db),
        checkins=CheckinsConfig(send_lease=timedelta(seconds=args.lease)),
    )
    relais = await Relais.open(config, SystemClock())
    channel = FileChannel(args.out, args.send_delay)
    dispatcher = CheckinDispatcher(
        relais.db,
        relais.clock,
        config.checkins,
        {"telegram": channel},
        process_id=args.process_id,
        batch=args.batch,
        send_concurrency=args.concurrency,
    )
    print("ready", flush=True)
    while True:
        await dispatcher.tick()
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--process-id", required=True)
    parser.add_argument("--lease", type=float, default=60.0)
    parser.add_argument("--send-delay", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    asyncio.run(main(parser.parse_args()))
