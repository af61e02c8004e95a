"""The statements of a chat turn run on the asyncpg connection itself (PostgreSQL, autocommit):
the same rows as through SQLAlchemy, the same exceptions, a dead connection found as SQLAlchemy
finds it (storage/pg_fast.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from storage.models import ProcessedUpdateRow
from storage.repos.access import Access
from storage.repos.sessions import Sessions
from storage.retry import is_conflict, is_disconnect, sqlstate
from storage.statements import Statements
from tests.stored import stored_session

_PLAIN_INSERT = sa.insert(ProcessedUpdateRow)  # no ON CONFLICT: a second one fails


@pytest.fixture
async def app(database_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Relais]:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    relais = await Relais.open(
        Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=database_url)), clock
    )
    yield relais
    await relais.close()


async def test_turn_start_reads_what_sqlalchemy_reads(app: Relais) -> None:
    invite = await app.create_invite(role="mentor", name="Zoé Ü")
    await app.redeem_invite("telegram", "42", invite.code)
    await app.save_session("telegram", "42", {"step": "é"}, dialog_id="crisis", dialog_version=3)
    async with app.db.autocommit(app.clock.now()) as tx:
        assert tx.pg is not None
        assert tx.sql.fast  # the repositories run their statements on the driver
        where = {"channel": "telegram", "user_id": "42", "chat_id": "42"}
        fast = await tx.access.marked_actor_and_session(**where, event_id="u1", now=tx.now)
        slow_access = Access(tx.conn, tx.keys, tx, sql=Statements(tx.conn))
        slow = await slow_access.marked_actor_and_session(**where, event_id="u1", now=tx.now)
        assert fast is not None
        assert slow is not None
        assert (fast[0], slow[0]) == (True, False)  # the mark was written by the first
        assert fast[1] == slow[1]
        assert fast[1] is not None
        assert fast[1].name == "Zoé Ü"  # the encrypted name, decrypted
        assert fast[1].roles == frozenset({"mentor"})
        slow_sessions = Sessions(tx.conn, tx.keys)
        stored = tx.sessions.from_joined(fast[2])
        assert stored == slow_sessions.from_joined(slow[2])
        assert stored.state == {"step": "é"}
        assert stored.expires_at.tzinfo is not None
        nobody = await tx.access.marked_actor_and_session(
            channel="telegram", user_id="7", chat_id="7", event_id="u2", now=tx.now
        )
        assert nobody == (True, None, None)


async def test_the_save_counts_the_rows_it_changed(app: Relais) -> None:
    await app.save_session("telegram", "5", {"v": 1})
    stored = await stored_session(app, "telegram", "5")
    assert stored is not None
    async with app.db.autocommit(app.clock.now()) as tx:
        values = {
            "channel": "telegram",
            "chat_id": "5",
            "practitioner_id": None,
            "dialog_id": None,
            "dialog_version": None,
            "now": tx.now,
            "expires_at": stored.expires_at,
        }
        assert await tx.sessions.put(state={"v": 2}, session_id=stored.id, **values) == stored.id
        # the session gone meanwhile (expired): the update changes no row, a new one is stored
        assert await tx.sessions.delete(channel="telegram", chat_id="5")
        fresh = await tx.sessions.put(state={"v": 3}, session_id=stored.id, **values)
        assert fresh != stored.id
    saved = await stored_session(app, "telegram", "5")
    assert saved is not None
    assert saved.state == {"v": 3}  # each statement committed on its own


async def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(app: Relais) -> None:
    row = {"channel": "telegram", "event_id": "dup", "processed_at": app.clock.now()}
    async with app.db.autocommit(app.clock.now()) as tx:
        assert await tx.sql.write(_PLAIN_INSERT, row) == 1
        with pytest.raises(IntegrityError) as raised:
            await tx.sql.write(_PLAIN_INSERT, row)
        assert sqlstate(raised.value) == "23505"
        assert not is_conflict(raised.value)
        assert not is_disconnect(raised.value)
        # the connection is still good: the next statement runs on it
        assert not await tx.sessions.mark_processed(channel="telegram", event_id="dup", now=tx.now)


async def test_a_dead_connection_is_found_and_invalidated(app: Relais) -> None:
    """The server ends the connection under a turn: the fast path's statement raises what
    SQLAlchemy raises for a dead connection (`storage.retry` runs the turn again for it)."""
    url = app.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with app.db.autocommit(app.clock.now()) as tx:
        assert tx.pg is not None
        backend = tx.pg.get_server_pid()
        admin = await asyncpg.connect(url)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
        finally:
            await admin.close()
        with pytest.raises(DBAPIError) as raised:
            await tx.sessions.mark_processed(channel="telegram", event_id="d1", now=tx.now)
        assert is_disconnect(raised.value)
        assert tx.conn.invalidated
    assert await app.first_time("telegram", "d1")  # a new connection: nothing was kept
