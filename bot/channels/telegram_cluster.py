"""Telegram webhook mode with several `relais run` processes behind one URL (PostgreSQL).

A load balancer gives each update to one process; Telegram may resend one (to another
process). Two rules make the processes behave as one (docs/design.md, "More than one
process"):

- Exactly once: the receiving process keeps the update in the inbox, then claims it
  (`INSERT … ON CONFLICT DO NOTHING` on its update_id, committed before the 200). The process
  whose insert added the row handles it; a resend finds the row and is only acknowledged.
- In order per chat: before handling update N of a chat, a process waits until no update of
  that chat with a smaller update_id is claimed and not yet handled (by any process); it marks
  N handled once its replies are sent. Within a process the chat's lane already orders them.

A process killed mid-turn leaves its claim unhandled: the chat's next updates wait for it at
most `STALE`, and a resend (or a restart's replay) of that update takes the stale claim over.
The cluster is bound to the use cases by bot.runtime (adapters do not import storage).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

__all__ = ["POLL", "STALE", "WebhookCluster"]

_log = logging.getLogger(__name__)

#: a claim not marked handled after this long is not waited for (its process died)
STALE = timedelta(seconds=60)
#: how often a waiting update looks again whether the chat's earlier ones are handled
POLL = 0.005

Claim = Callable[[int, str, str, timedelta], Awaitable[bool]]
Earlier = Callable[[int, str, timedelta], Awaitable[int]]
Handled = Callable[[int], Awaitable[None]]


class WebhookCluster:
    """The claims of one process (a random holder id per start)."""

    def __init__(
        self, *, claim: Claim, earlier: Earlier, handled: Handled, stale: timedelta = STALE
    ) -> None:
        self.holder = secrets.token_hex(16)
        self._claim = claim
        self._earlier = earlier
        self._handled = handled
        self._stale = stale

    async def claim(self, update_id: int, chat_key: str) -> bool:
        """True if this process handles the update (raises if the database is away: the
        webhook then answers 500 and Telegram sends it again)."""
        return await self._claim(update_id, chat_key, self.holder, self._stale)

    async def wait_turn(self, update_id: int, chat_key: str) -> None:
        """Return once the chat's earlier updates are handled (or their claims went stale)."""
        deadline = time.monotonic() + self._stale.total_seconds()
        delay = POLL
        while True:
            try:
                if await self._earlier(update_id, chat_key, self._stale) == 0:
                    return
            except Exception as exc:  # the database is away: handle it rather than hang
                _log.warning("update %s: order not checked (%s)", update_id, type(exc).__name__)
                return
            if time.monotonic() >= deadline:
                _log.warning("update %s: an earlier update of its chat never finished", update_id)
                return
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.05)

    async def handled(self, update_id: int) -> None:
        try:
            await self._handled(update_id)
        except Exception as exc:  # the chat's next update waits at most STALE for it
            _log.warning("update %s not marked handled (%s)", update_id, type(exc).__name__)
