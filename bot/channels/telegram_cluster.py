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

A claim lives as long as its process: each process holds a lease in the database
(`webhook:<holder>`), renewed every `BEAT` and good for `LEASE` (expired at a clean stop). A
process killed mid-turn stops renewing: once its lease has expired (within `LEASE`), the
chat's next updates no longer wait for its claims, and a resend (or a restart's replay) of
that update takes the claim over. `STALE` only bounds a wait on a live but stuck process.
The cluster is bound to the use cases by bot.runtime (adapters do not import storage).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

__all__ = ["BEAT", "LEASE", "POLL", "STALE", "WebhookCluster"]

_log = logging.getLogger(__name__)

#: a process's claims are taken over this long after it stopped renewing its lease (killed)
LEASE = timedelta(seconds=10)
#: how often a process renews its lease
BEAT = timedelta(seconds=3)
#: the longest a chat's update waits for an earlier one claimed by a live process (stuck);
#: also when a claim without a lease (a process of an earlier version) counts as dead
STALE = timedelta(seconds=60)
#: how often a waiting update looks again whether the chat's earlier ones are handled
POLL = 0.005

Claim = Callable[[int, str, str, timedelta], Awaitable[bool]]
Earlier = Callable[[int, str, timedelta], Awaitable[int]]
Handled = Callable[[int], Awaitable[None]]
#: (holder, ttl) -> whether the lease is this process's (taken or renewed for ttl; ttl 0: let go)
Beat = Callable[[str, timedelta], Awaitable[bool]]


class WebhookCluster:
    """The claims of one process (a random holder id per start)."""

    def __init__(
        self,
        *,
        claim: Claim,
        earlier: Earlier,
        handled: Handled,
        beat: Beat | None = None,
        stale: timedelta = STALE,
        lease: timedelta = LEASE,
        every: timedelta = BEAT,
    ) -> None:
        self.holder = secrets.token_hex(16)
        self._claim = claim
        self._earlier = earlier
        self._handled = handled
        self._beat = beat
        self._stale = stale
        self._lease = lease
        self._every = every
        self._beating: asyncio.Task[None] | None = None

    async def start(self) -> Callable[[int, str], Awaitable[bool]]:
        """Take this process's lease (before any claim) and renew it in the background;
        returns `claim`."""
        if self._beat is None:
            return self.claim
        await self._beat(self.holder, self._lease)
        self._beating = asyncio.get_running_loop().create_task(self._renew(), name="webhook-lease")
        return self.claim

    async def _renew(self) -> None:
        assert self._beat is not None
        while True:
            await asyncio.sleep(self._every.total_seconds())
            try:
                await self._beat(self.holder, self._lease)
            except Exception as exc:  # the database is away: the next beat tries again
                _log.warning("webhook lease not renewed (%s)", type(exc).__name__)

    async def stop(self) -> None:
        """Let the lease go (its claims not handled are taken over at once)."""
        if self._beating is not None:
            self._beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beating
            self._beating = None
        if self._beat is not None:
            try:
                await self._beat(self.holder, timedelta(0))
            except Exception as exc:  # it expires by itself
                _log.warning("webhook lease not let go (%s)", type(exc).__name__)

    async def claim(self, update_id: int, chat_key: str) -> bool:
        """True if this process handles the update (raises if the database is away: the
        webhook then answers 500 and Telegram sends it again)."""
        return await self._claim(update_id, chat_key, self.holder, self._stale)

    async def wait_turn(self, update_id: int, chat_key: str) -> None:
        """Return once the chat's earlier updates are handled (or their process is dead)."""
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
        except Exception as exc:  # the chat's next update waits for it while we live
            _log.warning("update %s not marked handled (%s)", update_id, type(exc).__name__)
