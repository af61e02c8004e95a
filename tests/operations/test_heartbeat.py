"""The dead-man heartbeat (against a local aiohttp server) and the downtime notice to each
team's coordinators (issue 17)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.operations.downtime import tell_downtime
from bot.operations.health import Health
from bot.operations.heartbeat import Heartbeat, last_alive, mark_alive
from bot.operations.wiring import Operations
from bot.runtime import open_runtime
from tests.checkins.conftest import Team, at_paris, build_team
from tests.checkins.test_dispatch import weekly


class Monitor:
    """A healthchecks.io-like endpoint: counts pings; can be told to fail."""

    def __init__(self) -> None:
        self.pings = 0
        self.status = 200
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def ping(self, request: web.Request) -> web.Response:
        self.pings += 1
        return web.Response(text="OK", status=self.status)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ping/abc", self.ping)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/ping/abc"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def monitor() -> AsyncIterator[Monitor]:
    found = Monitor()
    await found.start()
    yield found
    await found.stop()


def _heartbeat(team: Team, url: str, interval: float = 60.0) -> Heartbeat:
    stale = timedelta(minutes=2)
    health = Health(team.clock, stale_after=stale, dispatcher=lambda: team.dispatcher)
    beat = Heartbeat(
        url=url,
        interval=timedelta(seconds=interval),
        health=health,
        db=team.relais.db,
        data_path=team.relais.config.data_path,
    )
    return beat


async def test_heartbeat_is_called_only_while_healthy(team: Team, monitor: Monitor) -> None:
    beat = _heartbeat(team, monitor.url, interval=0.05)
    beat.start()
    try:
        await asyncio.sleep(0.4)
        assert monitor.pings == 0  # the dispatcher has not ticked yet: unhealthy, silent
        assert last_alive(team.relais.config.data_path) == team.clock.now()  # but alive
        await team.tick()
        for _ in range(100):
            if monitor.pings >= 3:
                break
            await asyncio.sleep(0.05)
        assert monitor.pings >= 3
        team.clock.advance(timedelta(minutes=3))  # the dispatcher stalls: the pings stop
        await asyncio.sleep(0.2)
        stopped_at = monitor.pings
        await asyncio.sleep(0.3)
        assert monitor.pings == stopped_at
    finally:
        await beat.stop()


async def test_a_failing_monitor_is_logged_never_fatal(
    team: Team, monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    await team.tick()
    beat = _heartbeat(team, monitor.url)
    monitor.status = 500
    with caplog.at_level(logging.WARNING):
        assert await _beat(beat) is False
    assert "heartbeat call failed (500); Relais goes on" in caplog.text
    assert "abc" not in caplog.text  # the URL (it may hold a token) is never logged
    await monitor.stop()  # nothing listens any more
    assert await _beat(beat) is False
    assert beat.failures == 2
    monitor.status = 200
    await monitor.start()
    beat.url = monitor.url
    assert await _beat(beat) is True
    assert beat.calls == 1


async def _beat(beat: Heartbeat) -> bool:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        return await beat.beat(session)


async def test_after_a_downtime_each_coordinator_is_told_once(team: Team) -> None:
    data = team.relais.config.data_path
    await weekly(team)
    mark_alive(data, team.clock.now())  # Sunday 12:00, then Relais dies
    down_since = last_alive(data)
    assert down_since is not None
    team.clock.set(at_paris(2026, 1, 5, 9, 30))  # back on Monday 09:30: the 09:00 one is late
    restarted = team.clock.now()
    await team.tick()  # the catch-up
    team.take(team.mentor, "Check-in due (late, was due Mon 05 Jan 09:00)")
    told = await tell_downtime(team.relais.db, down_since=down_since, restarted=restarted)
    assert told == 2  # the team's two coordinators (the owner is a coordinator too)
    await team.tick()
    for who in (team.owner, team.coordinator):
        msg = team.take(who, "Relais was down for 20 h 30 min")
        assert "(from Sun 04 Jan 13:00 to Mon 05 Jan 09:30)" in msg.reply.text
        assert "1 check-in reminders of your team were sent late and 0 missed" in msg.reply.text
    assert await tell_downtime(team.relais.db, down_since=down_since, restarted=restarted) == 2
    await team.tick()  # the same downtime again (a retry): nobody is told twice
    team.assert_quiet()


async def test_a_restarted_relais_tells_the_coordinators_once_caught_up(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wiring `relais run` uses (`Operations`): the previous run's last "alive" record, the
    dispatcher's catch-up tick, then the notice, delivered by the dispatcher."""
    for name in ("RELAIS_DATABASE_URL", "RELAIS_KEYS", "RELAIS_AUDIT_SECRET", "RELAIS_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    config = Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=sqlite_url))
    clock.set(datetime(2026, 1, 4, 12, 0, tzinfo=UTC))
    runtime = await open_runtime(config, clock)
    try:
        team = await build_team(runtime.relais, clock)
        mark_alive(config.data_path, clock.now())
        clock.advance(timedelta(hours=3))  # Relais was down three hours
        ops = Operations(runtime)
        await runtime.background.start({"telegram": team.telegram, "matrix": team.matrix})
        await ops.start([])
        for _ in range(200):
            if team.matrix.sent:
                break
            await asyncio.sleep(0.05)
        await ops.stop()
        await runtime.background.stop()
        msg = team.take(team.coordinator, "Relais was down for 3 h 0 min")
        assert "0 check-in reminders of your team were sent late" in msg.reply.text
        team.take(team.owner, "Relais was down for 3 h 0 min")
        team.assert_quiet()
        assert last_alive(config.data_path) == clock.now()  # this run records that it is alive
    finally:
        await runtime.close()


async def test_a_downtime_longer_than_the_late_window_counts_the_summarised(team: Team) -> None:
    await weekly(team)
    down_since = team.clock.now()  # Sunday 12:00
    team.clock.set(at_paris(2026, 1, 8, 10, 0))  # back on Thursday: Monday's is > 48 h old
    restarted = team.clock.now()
    await team.tick()
    team.clock.advance(timedelta(minutes=1))  # the summary waits a minute for the catch-up
    await team.tick()
    team.take(team.mentor, "While Relais was offline, 1 check-ins were missed")
    assert await tell_downtime(team.relais.db, down_since=down_since, restarted=restarted) == 2
    await team.tick()
    for who in (team.owner, team.coordinator):
        msg = team.take(who, "Relais was down for 3 d 21 h 0 min")
        assert "0 check-in reminders of your team were sent late and 1 missed" in msg.reply.text
