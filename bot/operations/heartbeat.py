"""The dead-man heartbeat and the "I was down" notice.

- Every `operations.heartbeat_interval`, Relais records that it is alive (a small file in the
  data directory) and, when healthy (`bot.operations.health`), calls `heartbeat_url`: a monitor
  outside the machine alarms when the calls stop. A failed call is logged, never fatal.
- At start, the time since the last "alive" record is the downtime. Longer than
  `NOTICE_AFTER`, once the first catch-up tick is done, each team's coordinators are told how
  long Relais was down and how many of the team's reminders were sent late or summarised
  (`bot.operations.downtime`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.operations.health import Health
from storage.database import Database

__all__ = ["ALIVE_FILE", "Heartbeat", "last_alive", "mark_alive"]

log = logging.getLogger(__name__)

ALIVE_FILE = "alive"
#: a downtime shorter than this (a restart, a deployment) is not told to anyone
NOTICE_AFTER = timedelta(minutes=5)


def last_alive(data_path: Path) -> datetime | None:
    try:
        return datetime.fromisoformat((data_path / ALIVE_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def mark_alive(data_path: Path, now: datetime) -> None:
    data_path.mkdir(parents=True, exist_ok=True)
    tmp = data_path / f".{ALIVE_FILE}.tmp"
    tmp.write_text(now.isoformat())
    os.replace(tmp, data_path / ALIVE_FILE)


class Heartbeat:
    def __init__(
        self,
        *,
        url: str,
        interval: timedelta,
        health: Health,
        db: Database,
        data_path: Path,
    ) -> None:
        self.url = url
        self.interval = interval
        self.health = health
        self.db = db
        self.data_path = data_path
        self.calls = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def beat(self, session: aiohttp.ClientSession | None) -> bool:
        """Once: record that Relais is alive; if healthy, call the URL. True if it was called."""
        try:
            mark_alive(self.data_path, self.health.clock.now())
        except OSError as exc:
            log.warning("cannot record that Relais is alive (%s)", type(exc).__name__)
        if session is None:
            return False
        report = await self.health.check(self.db)
        if not report.ok:
            bad = ", ".join(k for k, v in report.parts.items() if v != "ok")
            log.warning("unhealthy (%s): heartbeat not sent", bad)
            return False
        try:
            async with session.get(self.url) as resp:
                if resp.status >= 400:
                    raise aiohttp.ClientResponseError(
                        resp.request_info, (), status=resp.status, message="heartbeat refused"
                    )
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.failures += 1
            detail = getattr(exc, "status", None) or type(exc).__name__
            log.warning("heartbeat call failed (%s); Relais goes on", detail)
            return False
        self.calls += 1
        return True

    async def _run(self) -> None:
        session: Any = None
        if self.url:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            while True:
                try:
                    await self.beat(session)
                except Exception as exc:  # never fatal
                    log.warning("heartbeat failed (%s)", type(exc).__name__)
                await asyncio.sleep(self.interval.total_seconds())
        finally:
            if session is not None:
                await session.close()
