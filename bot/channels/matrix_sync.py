"""The Matrix channel's sync loop (ours, not nio's `sync_forever`, which retries a failing
server at once): errors back off exponentially, `M_LIMIT_EXCEEDED` waits `retry_after_ms`, a
revoked token logs in again as the same device. No room is read while the bot's device is not
signed by the account's cross-signing identity (`ensure_identity` is checked before each sync).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nio import AsyncClient, SyncResponse

from bot.channels.matrix_keyfile import IdentityError
from bot.channels.matrix_login import MatrixChannelError
from bot.channels.matrix_send import NETWORK_ERRORS, backoff, retry_delay

__all__ = ["SyncLoop"]

logger = logging.getLogger(__name__)

SYNC_FILTER: dict[str, Any] = {
    "room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": False}},
    "presence": {"types": []},
}


class SyncLoop:
    """Syncs from `start` to `stop`, handing each response to `after_sync` (after the crypto
    chores nio's sync_forever does between syncs)."""

    def __init__(
        self,
        client: Callable[[], AsyncClient],
        *,
        timeout_ms: int,
        ensure_identity: Callable[[], Awaitable[None]],
        after_sync: Callable[[SyncResponse, bool], Awaitable[None]],
        log_in: Callable[[], Awaitable[None]],
        on_sync: Callable[[bool], None],
    ) -> None:
        """`on_sync` is told after each sync: True when it succeeded."""
        self._client = client
        self._timeout_ms = timeout_ms
        self._ensure_identity = ensure_identity
        self._after_sync = after_sync
        self._log_in = log_in
        self._on_sync = on_sync
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        #: a sync was tried in this run (succeeded or failed): `start` waits for it
        self.attempted = asyncio.Event()
        #: failed sync requests since construction (each followed by a growing pause)
        self.errors = 0

    def start(self, initial: bool) -> None:
        """`initial`: the first sync of this device (its events are old: not answered)."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(initial))

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.attempted.clear()

    async def _run(self, initial: bool) -> None:
        failures = 0
        first = True  # the first sync of a run returns at once (start() waits for it)
        while not self._stopping:
            timeout = 0 if first else self._timeout_ms
            delay: float | None = None
            try:
                await self._ensure_identity()
            except IdentityError as exc:
                # no room is read while our device is not signed by the account's identity
                logger.error("matrix: not reading any room: %s", exc)
                failures += 1
                self.attempted.set()
                await asyncio.sleep(backoff(failures, base=5.0, cap=300.0))
                continue
            except NETWORK_ERRORS:
                failures += 1
                self.attempted.set()
                await asyncio.sleep(backoff(failures, base=0.5, cap=60.0))
                continue
            try:
                response = await self._client().sync(timeout=timeout, sync_filter=SYNC_FILTER)
            except NETWORK_ERRORS as exc:
                delay, reason = backoff(failures, base=0.5, cap=60.0), type(exc).__name__
            else:
                if isinstance(response, SyncResponse):
                    failures = 0
                    try:
                        await crypto_chores(self._client())
                        await self._after_sync(response, initial)
                    except NETWORK_ERRORS as exc:
                        logger.warning("matrix: after-sync work failed: %s", type(exc).__name__)
                    except Exception:
                        logger.exception("matrix: after-sync work failed")
                    initial = first = False
                    self._on_sync(True)
                    self.attempted.set()
                    continue
                delay = retry_delay(response, failures)
                reason = str(response.status_code)
                if response.status_code == "M_UNKNOWN_TOKEN":
                    with contextlib.suppress(MatrixChannelError, *NETWORK_ERRORS):
                        await self._log_in()  # same device id, so the same crypto identity
                if delay is None:
                    delay = backoff(failures, base=2.0, cap=300.0)
            failures += 1
            self.errors += 1
            self._on_sync(False)
            self.attempted.set()
            logger.warning("matrix: sync failed (%s); retrying in %.1fs", reason, delay)
            await asyncio.sleep(delay)


async def crypto_chores(client: AsyncClient) -> None:
    """The crypto chores nio's sync_forever does between syncs."""
    if client.outgoing_to_device_messages:
        await client.send_to_device_messages()
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
