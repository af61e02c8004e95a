"""Telegram webhook mode, one `relais run` process against two, on one PostgreSQL database.

    .venv/bin/python bench/bench_webhook_processes.py --database-url postgresql://… \
        [--chats 50] [--turns 10] [--processes 1,2]

Each run: a fresh database (created beside the one named, dropped afterwards), `chats`
enrolled mentors, N real `relais run` processes in webhook mode whose replies go to the fake Bot
API server. The script is the load balancer and Telegram at once: every chat types the crisis
walk ("/crisis", "2", ...) closed loop (send, wait for the answer), all chats at once, and each
update is POSTed to the processes in turn (round robin: a chat's consecutive updates land on
different processes, so the per-chat ordering across processes is paid for). Prints messages
per second and the p50/p99 reply latency for each process count.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import ClientSession

from bench.bench_telegram import fresh_database
from bot.app import Relais
from bot.channels.telegram_webhook import SECRET_HEADER
from bot.clock import SystemClock
from bot.config import Config, StorageConfig
from storage import migrate
from tests.fakes.telegram_server import FakeBotApi

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-Secret_1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def enrol(url: str, data: str, chats: list[int]) -> None:
    await migrate.upgrade(url)
    relais = await Relais.open(
        Config(data_dir=data, storage=StorageConfig(url=url)), SystemClock()
    )
    try:
        for chat_id in chats:
            invite = await relais.create_invite(role="mentor", name=f"M{chat_id}")
            await relais.redeem_invite("telegram", str(chat_id), invite.code)
    finally:
        await relais.close()


async def spawn(url: str, data: str, fake: FakeBotApi, port: int) -> asyncio.subprocess.Process:
    config = Path(data) / f"relais-{port}.toml"
    config.write_text(
        f'data_dir = "{data}"\nlog_level = "WARNING"\n[storage]\nurl = "{url}"\n'
        f'[telegram]\nenabled = true\nmode = "webhook"\n'
        f'webhook_url = "http://127.0.0.1:{port}/telegram"\nwebhook_port = {port}\n'
        f'base_url = "{fake.base_url}"\nbase_file_url = "{fake.base_file_url}"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env["RELAIS_TELEGRAM_TOKEN"] = fake.token
    env["RELAIS_TELEGRAM_WEBHOOK_SECRET"] = SECRET
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
        "--config", str(config), "run", cwd=ROOT, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(1200):
        try:
            _r, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return proc
    raise RuntimeError("relais run never listened")


async def run(postgres: str, processes: int, chats: int, turns: int) -> tuple[float, list[float]]:
    chat_ids = [2000 + n for n in range(chats)]
    async with fresh_database(postgres) as url, FakeBotApi() as fake:
        with tempfile.TemporaryDirectory() as data:
            await enrol(url, data, chat_ids)
            ports = [free_port() for _ in range(processes)]
            procs = [await spawn(url, data, fake, port) for port in ports]
            fake.webhook = {"url": "", "secret_token": ""}  # this script delivers, in parallel
            backends = itertools.cycle([f"http://127.0.0.1:{p}/telegram" for p in ports])
            update_ids = itertools.count(1)
            latencies: list[float] = []
            try:
                async with ClientSession() as http:

                    async def say(chat_id: int, text: str) -> None:
                        extra: dict[str, object] = {"text": text}
                        if text.startswith("/"):
                            extra["entities"] = [
                                {"type": "bot_command", "offset": 0, "length": len(text)}
                            ]
                        message = fake._user_message(chat_id, None, f"M{chat_id}", None, extra)
                        update = {"update_id": next(update_ids), "message": message}
                        async with http.post(
                            next(backends), json=update, headers={SECRET_HEADER: SECRET}
                        ) as answer:
                            assert answer.status == 200, answer.status

                    async def user(chat_id: int) -> None:
                        for turn in range(turns):
                            started = time.monotonic()
                            await say(chat_id, "/crisis" if turn % 2 == 0 else "2")
                            reply = await fake.next_message(chat_id, timeout=60)
                            latencies.append(reply.sent_at - started)

                    await user(chat_ids[0])  # warm up (first imports, caches)
                    latencies.clear()
                    begin = time.monotonic()
                    await asyncio.gather(*(user(c) for c in chat_ids[1:]))
                    seconds = time.monotonic() - begin
            finally:
                for proc in procs:
                    proc.terminate()
                for proc in procs:
                    await proc.wait()
            return len(latencies) / seconds, latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="postgresql://… (a server)")
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    print(
        f"{os.cpu_count()} cores; {args.chats - 1} chats x {args.turns} turns, crisis walk typed"
    )
    for count in [int(n) for n in args.processes.split(",")]:
        rate, latencies = await run(args.database_url, count, args.chats, args.turns)
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        p50 = statistics.median(latencies)
        print(
            f"{count} process(es): {rate:7.1f} msg/s, p50 {p50 * 1e3:6.1f} ms, "
            f"p99 {p99 * 1e3:6.1f} ms ({len(latencies)} messages)"
        )


if __name__ == "__main__":
    asyncio.run(main())
