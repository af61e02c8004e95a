"""The Telegram channel's polling loop (ours, not PTB's updater).

PTB's updater confirms a batch as soon as it fetches the next; ours keeps each fetched batch in
the durable inbox (`KeptUpdates.keep_batch`) before the next getUpdates confirms it to Telegram,
then hands it to the lanes. Errors are logged and retried with a growing delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.error import Conflict, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.channels.base import InboxEntry
from bot.channels.telegram_inbox import KeptUpdates, Submit
from bot.channels.telegram_incoming import chat_key
from bot.channels.telegram_retry import RetryPolicy, describe_error, retry_after_seconds
from bot.channels.telegram_send import RAW_POLL, BotCalls

__all__ = ["ALLOWED_UPDATES", "Poller"]

_log = logging.getLogger(__name__)

#: the update kinds Relais handles (edits of old messages are not re-processed)
ALLOWED_UPDATES = ("message", "callback_query")


class Poller:
    """getUpdates in a task, from `start` to `stop`."""

    def __init__(
        self,
        kept: KeptUpdates,
        submit: Submit,
        calls: BotCalls,
        *,
        poll_timeout: int | float,
        retry: RetryPolicy,
        on_poll: Callable[[bool], None],
    ) -> None:
        """`on_poll` is told after each getUpdates: True when it answered."""
        self._kept = kept
        self._submit = submit
        self._calls = calls
        self._poll_timeout = poll_timeout
        self._retry = retry
        self._task: asyncio.Task[None] | None = None
        self._bot: ExtBot[None] | None = None
        self._offset = 0  # the next getUpdates confirms every update below it
        self._on_poll = on_poll
        #: what a long poll may take: the request's read timeout plus the poll itself
        self.read_timeout = 5.0

    async def start(self, bot: ExtBot[None]) -> None:
        # As PTB's updater did: make sure no webhook is set, pending updates are kept.
        outcome = await self._calls.call(lambda: bot.delete_webhook(), "deleteWebhook")
        if outcome.status != "sent":
            _log.warning("deleteWebhook failed (%s); polling anyway", outcome.detail)
        self._offset = 0
        self._bot = bot
        self._task = asyncio.create_task(self._poll(bot), name="telegram-polling")

    async def stop(self) -> None:
        poller, self._task = self._task, None
        if poller is None:
            return
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        if self._offset and self._bot is not None:
            # Confirm what was fetched (it is kept and handled), so that Telegram does not
            # send it again at the next start (it would be skipped, but stored once more).
            with contextlib.suppress(Exception):
                await self._bot.do_api_request(
                    RAW_POLL,
                    api_kwargs={"offset": self._offset, "limit": 1, "timeout": 0},
                    read_timeout=5.0,
                )

    async def _poll(self, bot: ExtBot[None]) -> None:
        """getUpdates in a loop: keep each batch, then confirm it (the next call's offset)
        and hand it to the lanes. Errors are logged and retried with a growing delay; the loop
        only ends when cancelled (`stop()`)."""
        policy = self._retry
        delay = 0.0
        while True:
            try:
                raw = await bot.do_api_request(
                    RAW_POLL,
                    api_kwargs={
                        "offset": self._offset,
                        "timeout": self._poll_timeout,
                        "allowed_updates": list(ALLOWED_UPDATES),
                    },
                    read_timeout=self.read_timeout,
                )
                await self._receive(bot, raw if isinstance(raw, list) else [])
                delay = 0.0
                self._on_poll(True)
                continue
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                pause = retry_after_seconds(exc)
                _log.warning("polling Telegram rate limited: waiting %.0f s", pause)
                await asyncio.sleep(pause)
                continue
            except Conflict as exc:
                _log.error(
                    "polling Telegram refused (%s): another process polls this bot, or a "
                    "webhook is set; run one relais per bot token. Retrying",
                    describe_error(exc),
                )
            except TelegramError as exc:
                _log.warning("polling Telegram failed (%s); retrying", describe_error(exc))
            except Exception as exc:  # the inbox could not keep the batch: not confirmed
                _log.error(
                    "polling Telegram failed (%s); the updates are fetched again",
                    type(exc).__name__,
                )
            self._on_poll(False)
            delay = min(policy.max_delay, max(policy.base_delay, delay * 2))
            await asyncio.sleep(delay)

    async def _receive(self, bot: ExtBot[None], batch: list[Any]) -> None:
        """Keep a fetched batch (one call), then confirm it and hand it over."""
        if not batch:
            return
        updates: list[tuple[str, Update]] = []
        kept: list[InboxEntry] = []
        for data in batch:
            try:
                update = Update.de_json(data, bot)
            except Exception as exc:  # malformed: dropped, or it would block every later one
                _log.error("an update could not be read (%s): dropped", type(exc).__name__)
                continue
            key = chat_key(update)
            if key is None or self._kept.was_replayed(update.update_id):
                continue
            updates.append((key, update))
            kept.append((str(update.update_id), data))
        await self._kept.keep_batch(kept)  # raises: not confirmed, fetched again
        last = batch[-1].get("update_id") if isinstance(batch[-1], dict) else None
        if isinstance(last, int):
            self._offset = last + 1
        if updates:
            self._kept.replays_done(updates[0][1].update_id)
        for key, update in updates:
            self._submit(key, update)
