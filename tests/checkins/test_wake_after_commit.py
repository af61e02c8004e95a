"""The dispatcher is woken once the transaction that created the work has committed. Woken
inside it, a tick on PostgreSQL reads from another connection, misses the new row and leaves it
to the next poll (`checkins.poll_interval`, 30 s by default): a page would wait that long."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event

from bot.checkins.dispatcher import TickReport
from bot.checkins.service import CheckinService
from tests.checkins.conftest import CASE, Team


async def test_a_page_is_delivered_by_the_tick_its_commit_wakes(team: Team) -> None:
    engine = team.relais.db.engine.sync_engine
    if engine.dialect.name != "postgresql":
        pytest.skip("on SQLite a tick's read waits for the writer's lock: it cannot run early")
    events: list[tuple[str, int]] = []  # ("insert" | "commit", connection), ("wake", 0)

    def executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CHECKIN_OCCURRENCES"):
            events.append(("insert", id(conn.connection.dbapi_connection)))

    def committed(conn: Any) -> None:
        events.append(("commit", id(conn.connection.dbapi_connection)))

    ticks: list[asyncio.Task[TickReport]] = []

    def wake() -> None:  # what the timer does: a tick, now
        events.append(("wake", 0))
        ticks.append(asyncio.get_running_loop().create_task(team.dispatcher.tick()))

    service = CheckinService(team.relais, team.relais.config, team.clock, on_work=wake)
    event.listen(engine, "before_cursor_execute", executed)
    event.listen(engine, "commit", committed)
    try:
        await service.page_contact(team.mentor, "emergency", CASE)
        assert len(ticks) == 1
        report = await ticks[0]
    finally:
        event.remove(engine, "before_cursor_execute", executed)
        event.remove(engine, "commit", committed)
    page_conn = next(conn for kind, conn in events if kind == "insert")
    page_commit = events.index(("commit", page_conn), events.index(("insert", page_conn)))
    assert page_commit < events.index(("wake", 0)), "woken before the page was committed"
    assert report.sent >= 1
    team.take(team.fallback, "Contact requested now")  # on this wake-up, not a later poll
    team.take(team.mentor, "Nobody on call")  # the fallback is the whole chain (as in test_timer)
