"""One Bot API call with Relais' retry policy, turned into an outcome instead of an exception.

    429 RetryAfter        wait `retry_after` (+ a little slack), try again (up to flood_attempts)
    NetworkError/TimedOut  (network down, 5xx) back off exponentially, at most `attempts` tries
    403 Forbidden          unreachable: the user blocked the bot / left / cannot be written to
    400 "chat not found"   unreachable too (the user never opened the chat, or is gone)
    other 400, 401/404     failed at once (retrying cannot help)

A TimedOut request may have reached Telegram: a retry can then show a message twice. That is the
price of not dropping replies; the chat layer's texts are safe to repeat.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

__all__ = ["Outcome", "RetryPolicy", "call_with_retries", "describe_error"]

_log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5  # tries for network errors and 5xx
    base_delay: float = 0.5  # first back-off; doubles each time
    max_delay: float = 8.0
    flood_attempts: int = 10  # tries when Telegram answers 429
    max_retry_after: float = 300.0  # a longer flood wait is capped (then retried)


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    status: Literal["sent", "unreachable", "failed"]
    value: T | None = None
    detail: str = ""


def retry_after_seconds(exc: RetryAfter) -> float:
    # `RetryAfter.retry_after` is an int or a timedelta depending on PTB_TIMEDELTA (and warns
    # when an int); `_retry_after` is always the timedelta.
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return 1.0


async def call_with_retries(
    action: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    what: str,
    gate: asyncio.Semaphore | None = None,
) -> Outcome[T]:
    """Run `action` (one Bot API call) under `policy`. `what` names it in logs (ids only).
    `gate` bounds the requests in flight (held during a request, not during a back-off)."""
    network_failures = 0
    floods = 0
    while True:
        try:
            if gate is None:
                return Outcome("sent", await action())
            async with gate:
                value = await action()
            return Outcome("sent", value)
        except RetryAfter as exc:
            floods += 1
            wait = min(retry_after_seconds(exc), policy.max_retry_after)
            if floods >= policy.flood_attempts:
                _log.error("%s: still rate limited after %d tries", what, floods)
                return Outcome("failed", detail="rate limited")
            _log.warning("%s: rate limited by Telegram, retrying in %.1fs", what, wait)
            await asyncio.sleep(wait + 0.05)
        except Forbidden as exc:
            _log.info("%s: forbidden (%s)", what, describe_error(exc))
            return Outcome("unreachable", detail=describe_error(exc))
        except BadRequest as exc:
            reason = describe_error(exc)
            if "chat not found" in reason.lower():
                _log.info("%s: chat not found", what)
                return Outcome("unreachable", detail=reason)
            _log.error("%s: rejected by Telegram (%s)", what, reason)
            return Outcome("failed", detail=reason)
        except NetworkError as exc:  # includes TimedOut and 5xx answers
            network_failures += 1
            if network_failures >= policy.attempts:
                _log.error(
                    "%s: giving up after %d tries (%s)",
                    what,
                    network_failures,
                    describe_error(exc),
                )
                return Outcome("failed", detail=describe_error(exc))
            delay = min(policy.max_delay, policy.base_delay * 2 ** (network_failures - 1))
            _log.warning(
                "%s: %s, retry %d in %.2fs", what, type(exc).__name__, network_failures, delay
            )
            await asyncio.sleep(delay)
        except (InvalidToken, ChatMigrated, TelegramError) as exc:
            _log.error("%s: %s", what, type(exc).__name__)
            return Outcome("failed", detail=describe_error(exc))


_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")


def describe_error(exc: TelegramError) -> str:
    """Telegram's error description ("Forbidden: bot was blocked by the user"): no user
    content; a bot token (some network errors quote the URL) is masked."""
    return _TOKEN.sub("<token>", exc.message)[:200]
