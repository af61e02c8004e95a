"""The APScheduler timer: rebuilt from the database at start, job options set deliberately,
woken at once by a page. No sleeping: the test waits on the channel's delivery event."""

from __future__ import annotations

import asyncio
from datetime import time

from bot.background import Background
from storage.recurrence import Weekly
from tests.checkins.conftest import CASE, Team, at_paris


async def test_start_catches_up_then_pages_wake_the_timer(team: Team) -> None:
    rule = Weekly(0, time(9, 0), "Europe/Paris")
    await team.service.create_schedule(
        team.owner, CASE, rule, reminded_id=team.mentor.practitioner_id
    )
    team.clock.set(at_paris(2026, 1, 5, 10, 0))  # fell due an hour ago, while "down"
    background = Background(team.service)  # what the runtime starts after the channels
    await background.start([team.telegram, team.matrix])
    try:
        assert team.service.timer is not None
        scheduler = team.service.timer._scheduler
        assert scheduler is not None
        poll = scheduler.get_job("checkins.poll")
        assert poll.misfire_grace_time is None
        assert poll.coalesce is True
        assert poll.max_instances == 1
        assert poll.args == ()  # no arguments: nothing to pickle, ids or otherwise
        await team.service.timer.wait_idle()
        team.take(team.mentor, "Check-in due (late, was due Mon 05 Jan 09:00)")
        wake = scheduler.get_job("checkins.wake")
        assert wake is not None  # armed for the escalation at 11:00 (fake clock)
        assert wake.misfire_grace_time is None
        team.telegram.arrived.clear()
        await team.service.page_contact(team.mentor, "emergency", CASE)
        await asyncio.wait_for(team.telegram.arrived.wait(), 5)
        await team.service.timer.wait_idle()
        team.take(team.fallback, "Contact requested now")
        team.take(team.mentor, "Nobody on call")
    finally:
        await background.stop()
    assert team.service.timer is None
