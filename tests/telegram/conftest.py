"""Fixtures for the Telegram channel tests: a fake Bot API server and channels pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot.channels.base import Handler
from bot.channels.telegram import TelegramChannel
from tests.fakes.telegram_server import FakeBotApi
from tests.telegram.support import FAST_LIMITS

__all__ = ["FAST_LIMITS", "StartChannel"]


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


StartChannel = Callable[..., Awaitable[TelegramChannel]]


@pytest.fixture
async def start_channel(fake: FakeBotApi) -> AsyncIterator[StartChannel]:
    """`await start_channel(handler, config=None, **kwargs)`: a started TelegramChannel on the
    fake server (FAST_LIMITS unless `limits=` is given); stopped at the end of the test."""
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
