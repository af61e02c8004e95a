"""The operations side of a running Relais: health of its parts, the metrics endpoint when
`[metrics] listen` is set, and the channel health `/status` shows. Built by `bot.runtime.serve`."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime
from typing import Any

from bot.channels.base import Channel, Handler
from bot.operations.downtime import tell_downtime
from bot.operations.health import Health
from bot.operations.heartbeat import NOTICE_AFTER, Heartbeat, last_alive
from bot.operations.metrics import Metrics, OpsServer

__all__ = ["Operations"]

log = logging.getLogger(__name__)


class Operations:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        config = runtime.config
        stale = max(config.metrics.stale_after, 3 * config.checkins.poll_interval)
        checkins = runtime.checkins
        self.health = Health(
            runtime.clock,
            stale_after=stale,
            dispatcher=(lambda: checkins.dispatcher) if checkins is not None else None,
        )
        self.metrics = Metrics(self.health)
        #: the last moment the previous run recorded it was alive (None: first start)
        self.started_at = runtime.clock.now()
        self.down_since = last_alive(config.data_path)
        self.heartbeat = Heartbeat(
            url=config.heartbeat_url,
            interval=config.operations.heartbeat_interval,
            health=self.health,
            db=runtime.relais.db,
            data_path=config.data_path,
        )
        self._notice: asyncio.Task[None] | None = None
        self.server: OpsServer | None = None
        if config.metrics.listen:
            self.server = OpsServer(
                config.metrics.listen, runtime.relais.db, self.health, self.metrics
            )

    def handler(self, handler: Handler) -> Handler:
        return self.metrics.instrument(handler)

    async def start(self, channels: list[Channel]) -> None:
        config = self.runtime.config
        for channel in channels:
            pushed = channel.name == "telegram" and config.telegram.mode == "webhook"
            self.health.watch(channel, polls=hasattr(channel, "on_poll") and not pushed)
        if self.runtime.checkins is not None:
            self.runtime.checkins.channel_health = self.health.working_channels
        if self.server is not None:
            await self.server.start()
        self.heartbeat.start()
        down = self.down_since
        if down is not None and self.started_at - down > NOTICE_AFTER:
            self._notice = asyncio.get_running_loop().create_task(self._tell(down))

    async def _tell(self, down_since: datetime) -> None:
        """Once the catch-up tick is done, tell each team's coordinators about the downtime."""
        checkins = self.runtime.checkins
        try:
            for _ in range(1200):  # the catch-up after a long downtime may take a while
                dispatcher = checkins.dispatcher if checkins is not None else None
                if dispatcher is None or dispatcher.last_tick_at is not None:
                    break
                await asyncio.sleep(0.5)
            told = await tell_downtime(
                self.runtime.relais.db, down_since=down_since, restarted=self.started_at
            )
            log.warning(
                "Relais was down for %d s; %d coordinator(s) told",
                (self.started_at - down_since).total_seconds(),
                told,
            )
            if checkins is not None and checkins.timer is not None:
                checkins.timer.poke()
        except Exception as exc:
            log.exception("downtime notice failed (%s)", type(exc).__name__)

    async def stop(self) -> None:
        if self._notice is not None:
            self._notice.cancel()
            with suppress(asyncio.CancelledError):
                await self._notice
        await self.heartbeat.stop()
        if self.server is not None:
            await self.server.stop()
