"""What one typed chat turn costs the database, counted (not timed, so a regression fails on any
machine): on PostgreSQL two statements and nothing else (no pool pre-ping, no BEGIN or COMMIT,
no statement prepared again: asyncpg's statement cache is reused), on SQLite three statements
in two short transactions (in-process: no round trips). And a connection PostgreSQL drops
between two messages costs the next message nothing but a retry: it is answered (issue 19)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.app import Relais
from bot.clock import FakeClock
from tests.chat.conftest import CONTENT, World, build_world, make_config, texts


@pytest.fixture
async def world(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    config = make_config(database_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        yield await build_world(relais, config, clock, CONTENT)


@contextmanager
def counted(relais: Relais, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Count what reaches the database: statements (SQLAlchemy's events, SQLite's trace, or
    on PostgreSQL what the fast path runs on asyncpg itself), and on PostgreSQL the driver's
    transactions (BEGIN and COMMIT: two round trips each) and statements prepared (a round
    trip each: SQLAlchemy's prepares, or a miss in asyncpg's statement cache)."""
    engine = relais.db.engine.sync_engine
    seen: dict[str, Any] = {"statements": [], "transactions": 0, "prepare": 0}

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen["statements"].append(" ".join(sql.split())[:60])

    sa.event.listen(engine, "before_cursor_execute", statement)
    raw = relais.db._raw
    if raw is not None:  # SQLite's fast path runs on the driver connection: trace it there
        raw.set_trace_callback(lambda sql: statement(None, None, sql))
    else:
        import asyncpg

        prepare = asyncpg.Connection.prepare
        transaction = asyncpg.Connection.transaction
        execute = asyncpg.Connection._execute
        get_statement = asyncpg.Connection._get_statement

        async def counting_prepare(self: Any, *args: Any, **kwargs: Any) -> Any:
            seen["prepare"] += 1
            return await prepare(self, *args, **kwargs)

        def counting_transaction(self: Any, *args: Any, **kwargs: Any) -> Any:
            seen["transactions"] += 1
            return transaction(self, *args, **kwargs)

        async def counting_execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            # the fast path (storage.pg_fast) runs its statements on the driver
            statement(None, None, query)
            return await execute(self, query, *args, **kwargs)

        async def counting_get_statement(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            # asyncpg's own statement cache (the fast path's): a miss prepares again
            record_class = kwargs.get("record_class") or self._protocol.get_record_class()
            key = (query, record_class, kwargs.get("ignore_custom_codec", False))
            if not kwargs.get("use_cache", True) or self._stmt_cache.get(key) is None:
                seen["prepare"] += 1
            return await get_statement(self, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.Connection, "prepare", counting_prepare)
        monkeypatch.setattr(asyncpg.Connection, "transaction", counting_transaction)
        monkeypatch.setattr(asyncpg.Connection, "_execute", counting_execute)
        monkeypatch.setattr(asyncpg.Connection, "_get_statement", counting_get_statement)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", statement)
        if raw is not None:
            raw.set_trace_callback(None)
        monkeypatch.undo()


async def test_a_typed_turn_costs_two_statements(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    alex = world.chat("alex")
    for _ in range(2):  # warm: the statements are prepared once per connection
        await alex.say("/crisis")
        await alex.say("2")
    await alex.say("/crisis")
    with counted(world.relais, monkeypatch) as seen:
        replies = await alex.say("2")  # typed: the second option
    assert replies, "the typed answer was answered"
    postgres = world.relais.db.engine.dialect.name == "postgresql"
    statements = [s for s in seen["statements"] if s not in ("BEGIN IMMEDIATE", "COMMIT")]
    if postgres:
        # 1. the turn's start: the update marked processed, the sender and the conversation
        #    read, in one statement; 2. the conversation saved
        assert len(statements) == 2, statements
        assert statements[0].startswith("WITH mark AS (INSERT INTO processed_updates")
        assert statements[1].startswith("UPDATE dialog_sessions")
        assert not world.relais.db.engine.pool._pre_ping  # no round trip before the turn
        assert (seen["transactions"], seen["prepare"]) == (0, 0), seen  # autocommit, cached
    else:  # in-process, no round trips: the mark, the read and the save in two short
        # transactions on the process's one connection (the driver connection's fast path)
        assert [s.split()[0] for s in statements] == ["INSERT", "SELECT", "UPDATE"], statements
        assert seen["statements"].count("BEGIN IMMEDIATE") == 2, seen


async def test_a_dropped_connection_costs_a_retry_not_an_answer(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """PostgreSQL ends the bot's connection (a restart, a failover, an idle timeout): without
    a ping before each use, the next message finds its connection dead, and the turn is run
    again on a new one: the message is answered, the conversation goes on."""
    relais = world.relais
    if relais.db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    import asyncpg

    alex = world.chat("alex")
    await alex.say("/crisis")
    admin = await asyncpg.connect(
        relais.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:  # every connection of the bot to its (fresh) database, as a server restart would
        ended = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert ended >= 1
    finally:
        await admin.close()
    with caplog.at_level(logging.WARNING, logger="storage.retry"):
        replies = await alex.say("2")  # typed: the second option, on a dead connection
    assert "the database connection was lost, running it again" in caplog.text
    assert replies
    assert "went wrong" not in texts(replies).lower(), texts(replies)
    assert "Stopped." in texts(await alex.say("/cancel"))  # the dialog was still running
