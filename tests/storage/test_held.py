"""The connections kept for autocommit blocks on PostgreSQL (storage/held.py): never more than
their number open however many blocks run at once, a block cancelled while it waits gives its
turn away, and the connections a server restart ended are let go together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from storage.held import HELD_CONNECTIONS, HeldConnections
from storage.retry import is_disconnect


@pytest.fixture
async def app(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Relais]:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (SQLite runs autocommit blocks as transactions)")
    relais = await Relais.open(
        Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=database_url)), clock
    )
    yield relais
    await relais.close()


def _held(app: Relais) -> HeldConnections:
    held = app.db._held_connections
    assert held is not None
    return held


async def _backends(app: Relais) -> int:
    url = app.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(url)
    try:
        return int(
            await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    finally:
        await admin.close()


async def test_many_blocks_at_once_share_the_kept_connections(app: Relais) -> None:
    seen: set[int] = set()

    async def block(n: int) -> None:
        async with app.db.autocommit(app.clock.now()) as tx:
            assert tx.pg is not None
            seen.add(tx.pg.get_server_pid())
            assert await tx.sessions.mark_processed(
                channel="telegram", event_id=f"e{n}", now=tx.now
            )
            await asyncio.sleep(0.001)  # held across a pause: others wait their turn

    await asyncio.gather(*(block(n) for n in range(5 * HELD_CONNECTIONS)))
    assert 1 < len(seen) <= HELD_CONNECTIONS
    assert await _backends(app) <= HELD_CONNECTIONS + 1  # + the one that migrated/opened


async def test_a_block_cancelled_while_waiting_gives_its_turn_away(app: Relais) -> None:
    held = HeldConnections(app.db.engine, size=1)
    conn, opened = await held.take()
    waiting = asyncio.create_task(held.take())
    after = asyncio.create_task(held.take())
    await asyncio.sleep(0.01)
    waiting.cancel()
    await held.give_back(conn, opened)
    conn2, opened2 = await asyncio.wait_for(after, 5)  # not lost with the cancelled waiter
    assert conn2 is conn
    await held.give_back(conn2, opened2)
    await held.close()


async def test_a_server_restart_lets_every_older_connection_go(app: Relais) -> None:
    held = _held(app)
    taken = [await held.take() for _ in range(3)]
    pids = [
        (await conn.exec_driver_sql("SELECT pg_backend_pid()")).scalar_one() for conn, _ in taken
    ]
    for conn, opened in taken:
        await held.give_back(conn, opened)
    url = app.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(url)
    try:
        for pid in pids:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    # the first block finds its connection dead (the chat turn is run again for it:
    # storage.retry) and the two others are let go with it
    with pytest.raises(DBAPIError) as raised:
        async with app.db.autocommit(app.clock.now()) as tx:
            await tx.sessions.mark_processed(channel="telegram", event_id="e1", now=tx.now)
    assert is_disconnect(raised.value)
    assert held._idle == []
    async with app.db.autocommit(app.clock.now()) as tx:
        pid = (await tx.conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
        assert await tx.sessions.mark_processed(channel="telegram", event_id="e1", now=tx.now)
    assert pid not in pids
