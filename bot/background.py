"""The work Relais does on its own, owned by the runtime (`bot.runtime`): the check-in
dispatcher and its timer, and the loop that loads dialog versions published by another process.

Order, explicit: `start(channels)` after the channels have started (the dispatcher sends
through them): the dispatcher and its timer first (the catch-up tick of what fell due while
Relais was down starts at once), then the publishing refresh loop. `stop()` in the reverse
order, before the channels stop: the refresh loop, then the timer, which lets a tick in
progress finish its batch and record its sends while the channels can still deliver.

The use cases only create work: they wake the timer once their transaction has committed
(`CheckinService.on_work`, set here), never start or stop anything themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.channels.base import Channel
from bot.checkins.dispatcher import CheckinDispatcher
from bot.checkins.timer import CheckinTimer

__all__ = ["REFRESH_EVERY", "Background"]

log = logging.getLogger(__name__)

#: how often a running bot looks for versions published by another process
REFRESH_EVERY = timedelta(seconds=10)


class Background:
    """Starts and stops the dispatcher, its timer and the publishing refresh loop."""

    def __init__(
        self,
        checkins: Any = None,
        publishing: Any = None,
        *,
        refresh_every: timedelta = REFRESH_EVERY,
    ) -> None:
        self.checkins = checkins
        self.publishing = publishing
        self.refresh_every = refresh_every
        self.dispatcher: CheckinDispatcher | None = None
        self.timer: CheckinTimer | None = None
        self._refresher: asyncio.Task[None] | None = None

    async def start(self, channels: Sequence[Channel] | Mapping[str, Channel]) -> None:
        by_name = (
            dict(channels) if isinstance(channels, Mapping) else {c.name: c for c in channels}
        )
        checkins = self.checkins
        if checkins is not None and self.timer is None:
            config = checkins.config.checkins
            self.dispatcher = CheckinDispatcher(
                checkins.db,
                checkins.clock,
                config,
                by_name,
                send_concurrency=max(1, config.send_concurrency),
            )
            self.timer = CheckinTimer(self.dispatcher, config.poll_interval)
            # /status reads the channels it delivers on; operations wait for its first tick
            checkins.dispatcher, checkins.timer = self.dispatcher, self.timer
            await self.timer.start()
        if self.publishing is not None and self._refresher is None:
            self._refresher = asyncio.get_running_loop().create_task(self._refresh())

    async def stop(self) -> None:
        refresher, self._refresher = self._refresher, None
        if refresher is not None:
            refresher.cancel()
            await asyncio.gather(refresher, return_exceptions=True)
        timer, self.timer = self.timer, None
        if timer is not None:
            await timer.stop()
        if self.checkins is not None:
            self.checkins.timer = None

    def wake(self) -> None:
        """Tick as soon as possible (work due now was committed elsewhere in this process)."""
        if self.timer is not None:
            self.timer.poke()

    async def _refresh(self) -> None:
        """Re-read the published versions every `refresh_every`, so that a version published
        by another process (`relais dialogs publish`) reaches new conversations."""
        while True:
            await asyncio.sleep(self.refresh_every.total_seconds())
            try:
                added = await self.publishing.refresh()
            except Exception as exc:  # the database is away for a moment: next time
                log.warning("refreshing the published dialogs failed: %s", type(exc).__name__)
                continue
            if added:
                log.info("%d dialog version(s) published elsewhere loaded", added)
