"""The Telegram channel's durable inbox: what was received is kept until it is answered.

The polling loop keeps each fetched batch (`keep_batch`, one call) before the next getUpdates
confirms it to Telegram; the webhook receiver keeps each update (`keep_one`) before answering
200. An update is forgotten once its replies are sent (`answered`): with the next batch kept, or
`FORGET_DELAY` later, and at stop (`close`). At start, `replay` hands the kept updates to the
lanes in update_id order; `handled` tells the channel which of them are replays (the chat layer
answers them without handling them twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ExtBot

from bot.channels.base import Inbox, InboxEntry
from bot.channels.telegram_incoming import chat_key

__all__ = [
    "FORGET_DELAY",
    "Claim",
    "KeptUpdates",
]

_log = logging.getLogger(__name__)

#: answered updates are forgotten by the inbox with the next batch kept, or this many seconds
#: after their answer when no batch comes (a killed process replays only what it had not
#: answered; an answer in the last second before a kill may be followed by a recovery notice)
FORGET_DELAY = 1.0

Submit = Callable[[str, Update], None]
#: claim an update for this process (update id, chat key) -> whether this process handles it
Claim = Callable[[int, str], Awaitable[bool]]


class KeptUpdates:
    """The channel's side of an `Inbox` (None: nothing is kept, nothing is replayed)."""

    def __init__(self, inbox: Inbox | None) -> None:
        self._inbox = inbox
        self._replayed: set[int] = set()  # update ids replayed at start (Telegram may resend)
        self._replaying: set[int] = set()  # replayed update ids not handled yet
        #: event ids whose replies are sent: forgotten by the inbox with the next batch kept
        self._answered: list[str] = []
        self._forget_task: asyncio.Task[None] | None = None

    async def replay(self, bot: ExtBot[None], submit: Submit, claim: Claim | None = None) -> None:
        """Hand the kept updates not answered yet (a previous process was killed) to the
        lanes, in update_id order; beside other processes (`claim`: telegram_cluster), only
        those no live process has."""
        if self._inbox is None:
            return
        entries = await self._inbox.pending()
        updates = []
        for _event_id, payload in entries:
            try:
                updates.append(Update.de_json(payload, bot))
            except Exception as exc:
                _log.error("a kept update could not be read (%s): skipped", type(exc).__name__)
        updates.sort(key=lambda update: update.update_id)
        for update in updates:
            key = chat_key(update)
            if key is not None and claim is not None and not await claim(update.update_id, key):
                continue
            if key is not None:
                self._replayed.add(update.update_id)
                self._replaying.add(update.update_id)
                submit(key, update)
        if updates:
            _log.info("replaying %d update(s) received before a restart", len(updates))

    def was_replayed(self, update_id: int) -> bool:
        """True for an update handed over by `replay` (Telegram may send it again)."""
        return update_id in self._replayed

    def replays_done(self, first_fetched: int) -> None:
        """A fetched batch starts after every replayed update: Telegram resends none of them."""
        if self._replayed and first_fetched > max(self._replayed):
            self._replayed.clear()

    async def keep_batch(self, kept: list[InboxEntry]) -> None:
        """Keep a fetched batch, forgetting the updates answered since the last one (same
        call). Raises when it could not: the batch is not confirmed, it is fetched again."""
        if self._inbox is None or not kept:
            return
        answered, self._answered = self._answered, []
        try:
            await self._inbox.store(kept, answered)
        except BaseException:
            self._answered[:0] = answered  # forgotten with a later batch
            raise

    async def keep_one(self, entry: InboxEntry) -> None:
        """Keep one update received by the webhook (raises when it could not)."""
        if self._inbox is not None:
            await self._inbox.store([entry], [])

    def dropped(self, update_id: int) -> None:
        """An update dropped on purpose (a flooding chat, logged and told): not replayed."""
        self._answered.append(str(update_id))

    def handled(self, update_id: int) -> None:
        """The replies of an update are sent: the inbox may forget it (until then a killed
        process replays it at the next start)."""
        self._replaying.discard(update_id)
        self._answered.append(str(update_id))
        if self._inbox is not None and (self._forget_task is None or self._forget_task.done()):
            self._forget_task = asyncio.create_task(self._forget_soon(), name="telegram-forget")

    def replaying(self, update_id: int) -> bool:
        """True while a replayed update has not been handled."""
        return update_id in self._replaying

    async def close(self) -> None:
        """At stop: forget every update answered so far."""
        if self._forget_task is not None:
            self._forget_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._forget_task
            self._forget_task = None
        await self._forget_answered()

    async def _forget_soon(self) -> None:
        await asyncio.sleep(FORGET_DELAY)
        await self._forget_answered()

    async def _forget_answered(self) -> None:
        """Forget the kept updates answered since the last batch (they are not replayed)."""
        if self._inbox is None or not self._answered:
            return
        answered, self._answered = self._answered, []
        try:
            await self._inbox.forget(answered)
        except Exception as exc:
            self._answered[:0] = answered
            _log.warning("could not forget answered updates (%s)", type(exc).__name__)
        except BaseException:  # cancelled (stop): forgotten by the last call of stop()
            self._answered[:0] = answered
            raise
