"""Telegram webhook mode with two `relais run` processes on one PostgreSQL behind one webhook
URL: the fake Bot API server posts every update to a small load balancer that hands them to
the two processes in turn (so a chat's consecutive updates land on different processes), and
one update a second time to the other process (a resend). Every update is answered once, and
each chat's turns in order: "/crisis" then "2", again and again, answered menu, step, menu,
step (a "2" handled before its "/crisis" would find no dialog running)."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import sys
from pathlib import Path

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import func, select

from bot.app import Relais
from bot.channels.telegram_webhook import SECRET_HEADER
from storage.models.cluster import WebhookClaimRow
from tests.fakes.telegram_server import FakeBotApi

ROOT = Path(__file__).resolve().parents[2]
SECRET = "two-processes-Secret_1"
CHATS = 6
TURNS = 8  # per chat: /crisis, 2, /crisis, 2, ...
POSTGRES_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LoadBalancer:
    """Round robin over the processes' webhook receivers; the `resend`-th update is delivered
    a second time, to the other process (as Telegram may after a timeout)."""

    def __init__(self, backends: list[str], resend: int) -> None:
        self.backends = backends
        self.turn = itertools.cycle(range(len(backends)))
        self.resend = resend
        self.received = 0
        self.resent = 0
        self.routed: list[tuple[int, int, int]] = []  # (update id, backend, status)
        self.runner: web.AppRunner | None = None
        self.port = free_port()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/telegram", self.forward)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        update_id = int((await request.json())["update_id"])
        first = next(self.turn)
        targets = [first]
        self.received += 1
        if self.received == self.resend:
            self.resent = update_id
            targets.append((first + 1) % len(self.backends))
        status = 502
        async with ClientSession() as http:
            for target in targets:
                try:
                    async with http.post(self.backends[target], data=body, headers={
                        **headers, "Content-Type": "application/json"
                    }) as answer:  # fmt: skip
                        status = answer.status
                except OSError:
                    status = 502
                self.routed.append((update_id, target, status))
        return web.Response(status=status)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def _config(
    tmp_path: Path, name: str, relais: Relais, fake: FakeBotApi, lb: int, port: int
) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f"""
data_dir = "{relais.config.data_dir}"
log_level = "WARNING"

[storage]
url = "{relais.config.database_url()}"

[telegram]
enabled = true
mode = "webhook"
webhook_url = "http://127.0.0.1:{lb}/telegram"
webhook_listen = "127.0.0.1"
webhook_port = {port}
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
""",
        encoding="utf-8",
    )
    return path


async def _spawn(config: Path, token: str, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    env["RELAIS_TELEGRAM_TOKEN"] = token
    env["RELAIS_TELEGRAM_WEBHOOK_SECRET"] = SECRET
    with log.open("ab") as err:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())",
            "--config", str(config), "run",
            cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=err,
        )  # fmt: skip


def _tail(log: Path, size: int = 3000) -> str:
    return log.read_text()[-size:]


async def _listening(port: int, proc: asyncio.subprocess.Process, log: Path) -> None:
    for _ in range(1200):
        assert proc.returncode is None, _tail(log)
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        return
    raise AssertionError("the webhook receiver never listened: " + _tail(log))


@POSTGRES_ONLY
async def test_two_processes_answer_each_update_once_and_in_order(
    relais: Relais, tmp_path: Path
) -> None:
    chats = [7100 + n for n in range(CHATS)]
    for chat_id in chats:
        invite = await relais.create_invite(role="mentor", name=f"Mentor {chat_id}")
        await relais.redeem_invite("telegram", str(chat_id), invite.code)
    ports = [free_port(), free_port()]
    lb = LoadBalancer([f"http://127.0.0.1:{p}/telegram" for p in ports], resend=5)
    await lb.start()
    log = tmp_path / "relais.log"
    procs: list[asyncio.subprocess.Process] = []
    async with FakeBotApi() as fake:
        try:
            for chat_id in chats:
                fake._chat(chat_id, fake._user(chat_id, f"M{chat_id}", None))
            for name, port in zip(("a", "b"), ports, strict=True):
                config = _config(tmp_path, name, relais, fake, lb.port, port)
                procs.append(await _spawn(config, fake.token, log))
                await _listening(port, procs[-1], log)
            for _round in range(TURNS // 2):  # a chat's "/crisis" and "2" back to back:
                for chat_id in chats:  # consecutive requests, so on different processes
                    await fake.user_says(chat_id, "/crisis")
                    await fake.user_says(chat_id, "2")
            total = CHATS * TURNS
            await fake.wait_for(
                lambda: sum(len(fake.sent(c)) for c in chats) >= total or None,
                timeout=120,
                what=f"{total} answers",
            )
            await asyncio.sleep(1.0)  # a second answer to any update would arrive by now
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.terminate()
            for proc in procs:
                await asyncio.wait_for(proc.wait(), 60)
            await lb.stop()
        routed_to = {backend for _u, backend, _s in lb.routed}
        assert routed_to == {0, 1}, lb.routed
        assert all(status == 200 for _u, _b, status in lb.routed), lb.routed
        assert [u for u, _b, _s in lb.routed].count(lb.resent) == 2  # the resend reached both
        for chat_id in chats:
            sent = fake.sent(chat_id)
            assert len(sent) == TURNS, (chat_id, [m.text[:40] for m in sent])
            menus, steps = sent[0::2], sent[1::2]
            assert all(m.buttons and m.text == menus[0].text for m in menus), chat_id
            assert all(m.text == steps[0].text for m in steps), chat_id
            assert steps[0].text != menus[0].text
        assert "Traceback" not in _tail(log, 10**9)
    async with relais.db.connect() as conn:
        claims = await conn.scalar(select(func.count()).select_from(WebhookClaimRow))
        handled = await conn.scalar(
            select(func.count())
            .select_from(WebhookClaimRow)
            .where(WebhookClaimRow.handled_at.is_not(None))
        )
        holders = await conn.scalar(select(func.count(func.distinct(WebhookClaimRow.holder))))
    assert claims == handled == CHATS * TURNS
    assert holders == 2
