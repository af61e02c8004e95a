"""Is Relais working? The database answers, the check-in dispatcher ticked recently, and every
enabled channel synced or polled recently (`/healthz`, the heartbeat, `/status`).

Channels report each poll or sync (`on_poll(ok)`); the dispatcher records its last tick. Times
come from the injected clock, so each state is testable without waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from bot.clock import Clock
from storage.database import Database

__all__ = ["ChannelState", "Health", "HealthReport"]


@dataclass(slots=True)
class ChannelState:
    #: False for a channel that is pushed to (Telegram webhook): no poll to watch
    polls: bool = True
    connected: bool = False
    last_ok: datetime | None = None
    failures: int = 0


@dataclass(frozen=True, slots=True)
class HealthReport:
    ok: bool
    #: part -> "ok" or what is wrong with it (database, dispatcher, each channel)
    parts: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        head = "ok" if self.ok else "unhealthy"
        return head + "\n" + "\n".join(f"{k}: {v}" for k, v in self.parts.items()) + "\n"


class Health:
    def __init__(
        self,
        clock: Clock,
        *,
        stale_after: timedelta,
        dispatcher: Callable[[], Any] | None = None,
    ) -> None:
        self.clock = clock
        self.stale_after = stale_after
        #: returns the running check-in dispatcher (or None before it started)
        self.dispatcher = dispatcher
        self.channels: dict[str, ChannelState] = {}
        self.database_errors = 0

    def watch(self, channel: Any, *, polls: bool = True) -> None:
        """Follow a channel: its `on_poll` hook reports here."""
        state = self.channels.setdefault(channel.name, ChannelState(polls=polls))
        if hasattr(channel, "on_poll"):
            channel.on_poll = lambda ok, name=channel.name: self.polled(name, ok)
        if not polls:
            state.connected, state.last_ok = True, self.clock.now()

    def polled(self, name: str, ok: bool) -> None:
        state = self.channels.setdefault(name, ChannelState())
        state.connected = ok
        if ok:
            state.last_ok = self.clock.now()
        else:
            state.failures += 1

    def channel_working(self, name: str) -> bool:
        state = self.channels.get(name)
        if state is None:
            return False
        if not state.polls:
            return True
        fresh = state.last_ok is not None and self.clock.now() - state.last_ok <= self.stale_after
        return state.connected and fresh

    def working_channels(self) -> dict[str, bool]:
        return {name: self.channel_working(name) for name in self.channels}

    def _age(self, when: datetime | None) -> str:
        if when is None:
            return "never"
        return f"{(self.clock.now() - when).total_seconds():.0f} s ago"

    async def check(self, db: Database) -> HealthReport:
        parts: dict[str, str] = {}
        try:
            async with db.connect() as conn:
                await conn.execute(text("SELECT 1"))
            parts["database"] = "ok"
        except Exception as exc:
            self.database_errors += 1
            parts["database"] = f"does not answer ({type(exc).__name__})"
        dispatcher = self.dispatcher() if self.dispatcher is not None else None
        if dispatcher is not None:
            last = dispatcher.last_tick_at
            fresh = last is not None and self.clock.now() - last <= self.stale_after
            parts["dispatcher"] = "ok" if fresh else f"last tick {self._age(last)}"
        else:
            parts["dispatcher"] = "not started"
        for name, state in sorted(self.channels.items()):
            if self.channel_working(name):
                parts[name] = "ok"
            elif not state.connected and state.last_ok is not None:
                parts[name] = f"disconnected, last sync or poll {self._age(state.last_ok)}"
            else:
                parts[name] = f"last sync or poll {self._age(state.last_ok)}"
        return HealthReport(all(v == "ok" for v in parts.values()), parts)
