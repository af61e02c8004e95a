"""The operations side of a running Relais: health of its parts, the metrics endpoint when
`[metrics] listen` is set, and the channel health `/status` shows. Built by `bot.runtime.serve`."""

from __future__ import annotations

import logging
from typing import Any

from bot.channels.base import Channel, Handler
from bot.operations.health import Health
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

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
