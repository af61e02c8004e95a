"""Helpers for tests that drive a TelegramChannel against the fake Bot API server.

from tests.telegram.support import FAST_LIMITS, running_channel

async with FakeBotApi() as fake, running_channel(fake, handler) as channel:
    await fake.user_says(42, "/sos")
    assert "112" in (await fake.next_message(42)).text
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from bot.channels.base import Handler
from bot.channels.telegram import TelegramChannel, TelegramLimits
from bot.channels.telegram_retry import RetryPolicy
from tests.fakes.telegram_server import FakeBotApi

__all__ = ["FAST_LIMITS", "running_channel"]

# PTB 22 warns on int-valued time periods unless this opt-in is set (the adapter sets it too).
os.environ.setdefault("PTB_TIMEDELTA", "true")

#: production pacing shape, but fast: back-offs of milliseconds, 50 updates/s per chat
FAST_LIMITS = TelegramLimits(
    chat_rate=50.0,
    chat_burst=10,
    max_backlog=300,
    drain_timeout=5.0,
    retry=RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05),
)


@contextlib.asynccontextmanager
async def running_channel(
    fake: FakeBotApi, handler: Handler, config: Any = None, **kwargs: Any
) -> AsyncIterator[TelegramChannel]:
    """A started channel on `fake` (config from `fake.config()`, FAST_LIMITS unless given)."""
    kwargs.setdefault("limits", FAST_LIMITS)
    channel = TelegramChannel(config or fake.config(poll_timeout=1), fake.token, **kwargs)
    await channel.start(handler)
    try:
        yield channel
    finally:
        await channel.stop()
