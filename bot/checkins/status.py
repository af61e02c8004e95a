"""Channel health for `/status`: each channel enabled in the configuration, and whether it
works (started by this process, and healthy if a health monitor says so)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.config import Config

__all__ = ["ChannelHealth"]


class ChannelHealth:
    """Mixed into `CheckinService`, which knows the channels it delivers on."""

    config: Config
    dispatcher: Any
    #: set by the runtime when a health monitor runs: channel -> working now
    channel_health: Callable[[], dict[str, bool]] | None = None

    def enabled_channels(self) -> list[tuple[str, bool]]:
        running = set(self.dispatcher.channels) if self.dispatcher is not None else set()
        health = self.channel_health() if self.channel_health is not None else {}
        enabled = [
            name
            for name, on in (
                ("telegram", self.config.telegram.enabled),
                ("matrix", self.config.matrix.enabled),
            )
            if on
        ]
        enabled += sorted(running - set(enabled))  # the terminal of `relais demo` / `--console`
        return [(name, name in running and health.get(name, True)) for name in enabled]
