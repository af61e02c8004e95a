"""The channel's Bot API transport (bot/channels/telegram_request.py) behaves as PTB's own:
PTB's `Bot` over it reads the fake server's answers, uploads files as multipart, and a slow or
unreachable server is `TimedOut` / `NetworkError`, which the channel's retries know."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram_request import AiohttpRequest
from tests.fakes.telegram_server import FakeBotApi


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


def _bot(fake: FakeBotApi, request: AiohttpRequest) -> Bot:
    return Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=request,
        get_updates_request=AiohttpRequest(1),
    )


async def test_bot_calls_and_uploads_go_through(fake: FakeBotApi) -> None:
    fake.add_user(42)
    async with _bot(fake, AiohttpRequest(4)) as bot:
        me = await bot.get_me()
        assert me.is_bot
        sent = await asyncio.gather(
            *(bot.send_message(42, f"message {n} é", parse_mode="HTML") for n in range(10))
        )
        assert sorted(m.text for m in sent) == sorted(f"message {n} é" for n in range(10))
        document = await bot.send_document(
            42, b"%PDF-1.4 card", filename="carte d'urgence é.pdf", caption="la carte"
        )
    assert document.document is not None
    assert document.document.file_name == "carte d'urgence é.pdf"
    kept = fake.sent(42)[-1]
    assert (kept.kind, kept.content, kept.text) == ("document", b"%PDF-1.4 card", "la carte")


async def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_server_that_does_not_answer_is_a_timeout() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    port = await _unused_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    request = AiohttpRequest(1, read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
    finally:
        await request.shutdown()
        await runner.cleanup()


async def test_an_unreachable_server_is_a_network_error() -> None:
    port = await _unused_port()  # nobody listens there
    request = AiohttpRequest(1)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as raised:
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
        assert not isinstance(raised.value, TimedOut)
        assert "aiohttp." in str(raised.value)
    finally:
        await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"http://127.0.0.1:{port}/", "POST")


async def test_a_proxy_named_by_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP(S)_PROXY and NO_PROXY, as PTB's httpx transport honours them (looked up once)."""
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))  # a proxy is asked for the absolute URL
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", proxy)
    runner = web.AppRunner(app)
    await runner.setup()
    port = await _unused_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = AiohttpRequest(1)
    await request.initialize()
    try:
        assert await request.post("http://bot-api.invalid/bot1:x/logOut") is True
        assert await request.post("http://bot-api.invalid/bot1:x/close") is True
        assert [url.rsplit("/", 1)[1] for url in seen] == ["logOut", "close"]
        assert seen[0].startswith("http://bot-api.invalid/")
    finally:
        await request.shutdown()
    monkeypatch.setenv("NO_PROXY", "bot-api.invalid")  # then straight to the (unknown) host
    direct = AiohttpRequest(1)
    await direct.initialize()
    try:
        with pytest.raises(NetworkError):
            await direct.post("http://bot-api.invalid/bot1:x/logOut")
    finally:
        await direct.shutdown()
        await runner.cleanup()
    assert len(seen) == 2
