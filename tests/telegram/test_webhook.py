"""Webhook mode: a required secret token, checked on every POST."""

from __future__ import annotations

import socket

import pytest
from aiohttp import ClientSession

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_webhook import SECRET_HEADER
from bot.errors import ConfigError
from bot.messages import Incoming, Reply
from tests.fakes.telegram_server import FakeBotApi
from tests.telegram.conftest import StartChannel

SECRET = "s3cret-Token_for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def echo(incoming: Incoming) -> list[Reply]:
    return [Reply(f"echo: {incoming.text}")]


def test_webhook_mode_refuses_to_start_without_a_secret(fake: FakeBotApi) -> None:
    config = fake.config(mode="webhook", webhook_url="https://bot.example.org/telegram")
    with pytest.raises(ConfigError, match="webhook mode needs a secret token"):
        TelegramChannel(config, fake.token)
    with pytest.raises(ConfigError, match="may only hold"):
        TelegramChannel(config, fake.token, webhook_secret="has spaces")
    with pytest.raises(ConfigError, match=r"telegram\.webhook_url"):
        TelegramChannel(fake.config(mode="webhook"), fake.token, webhook_secret=SECRET)


async def test_webhook_checks_the_secret_header(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/relais/telegram"
    config = fake.config(mode="webhook", webhook_url=url, webhook_port=port)
    seen: list[Incoming] = []

    async def handler(incoming: Incoming) -> list[Reply]:
        seen.append(incoming)
        return await echo(incoming)

    channel = await start_channel(handler, config=config, webhook_secret=SECRET)
    assert channel.webhook_port == port
    [set_webhook] = fake.calls("setWebhook")
    assert set_webhook.params["secret_token"] == SECRET
    assert set_webhook.params["url"] == url
    assert not fake.calls("getUpdates")

    update = {
        "update_id": 5,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 42, "type": "private", "first_name": "A"},
            "from": {"id": 42, "is_bot": False, "first_name": "A"},
            "text": "forged",
        },
    }
    async with ClientSession() as http:
        for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
        assert seen == []
        async with http.post(url, data=b"{not json", headers={SECRET_HEADER: SECRET}) as r:
            assert r.status == 400

    # Telegram (the fake) delivers with the secret: the update is handled and answered.
    ref = await fake.user_says(42, "real")
    reply = await fake.next_message(42)
    assert reply.text == "echo: real"
    assert [i.event_id for i in seen] == [str(ref.update_id)]
    assert (ref.update_id, 200) in fake.webhook_deliveries
