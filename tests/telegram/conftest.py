"""Fixtures for the Telegram channel tests: a fake Bot API server and channels pointed at it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.channels.base import Handler
from bot.channels.telegram import TelegramChannel, TelegramLimits
from bot.channels.telegram_retry import RetryPolicy
from tests.fakes.telegram_server import FakeBotApi

# PTB 22 warns on int-valued time periods unless this opt-in is set (the adapter sets it too).
os.environ.setdefault("PTB_TIMEDELTA", "true")

#: fast retries so that the 5xx/network tests take milliseconds
FAST_LIMITS = TelegramLimits(
    chat_rate=50.0,
    chat_burst=10,
    max_backlog=300,
    drain_timeout=5.0,
    retry=RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05),
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


StartChannel = Callable[..., Awaitable[TelegramChannel]]


@pytest.fixture
async def start_channel(fake: FakeBotApi) -> AsyncIterator[StartChannel]:
    """`await start_channel(handler, **kwargs)`: a started TelegramChannel on the fake server;
    stopped at the end of the test."""
    started: list[TelegramChannel] = []

    async def start(handler: Handler, config: Any = None, **kwargs: Any) -> TelegramChannel:
        kwargs.setdefault("limits", FAST_LIMITS)
        channel = TelegramChannel(config or fake.config(poll_timeout=1), fake.token, **kwargs)
        await channel.start(handler)
        started.append(channel)
        return channel

    yield start
    for channel in reversed(started):
        await channel.stop()
