"""The statements of every chat message run on the sqlite3 connection itself (SQLite): the
same rows as through SQLAlchemy, in the same transaction (storage/sqlite_fast.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from bot.app import Relais
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from storage.repos.access import Access
from storage.repos.sessions import _UPDATE, Sessions
from storage.sqlite_fast import FastStatement
from tests.stored import stored_session


@pytest.fixture
async def app(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> Relais:
    relais = await Relais.open(
        Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=sqlite_url)), clock
    )
    yield relais  # type: ignore[misc]
    await relais.close()


async def test_turn_start_reads_what_sqlalchemy_reads(app: Relais) -> None:
    invite = await app.create_invite(role="mentor", name="Zoé Ü")
    await app.redeem_invite("telegram", "42", invite.code)
    await app.save_session("telegram", "42", {"step": "é"}, dialog_id="crisis", dialog_version=3)
    async with app.db.transaction(app.clock.now()) as tx:
        assert tx.raw is not None
        assert tx.sql.fast  # the repositories run their statements on the fast path
        fast = await tx.access.actor_and_session(channel="telegram", user_id="42", chat_id="42")
        slow_access = Access(tx.conn, tx.keys, tx)
        slow = await slow_access.actor_and_session(channel="telegram", user_id="42", chat_id="42")
        assert fast[0] == slow[0]
        assert fast[0] is not None
        assert fast[0].name == "Zoé Ü"
        assert tx.audit_head is not None  # the chain head came with the row
        slow_sessions = Sessions(tx.conn, tx.keys)
        assert tx.sessions.from_joined(fast[1]) == slow_sessions.from_joined(slow[1])
        assert tx.sessions.from_joined(fast[1]).expires_at.tzinfo is not None
        nobody = await tx.access.actor_and_session(channel="telegram", user_id="7", chat_id="7")
        assert nobody == (None, None)


async def test_fast_writes_commit_and_roll_back_with_the_transaction(app: Relais) -> None:
    await app.save_session("telegram", "5", {"v": 1})
    stored = await stored_session(app, "telegram", "5")
    assert stored is not None

    class Boom(Exception):
        pass

    async def turn_that_fails() -> None:
        async with app.db.transaction(app.clock.now()) as tx:
            assert await tx.sessions.mark_processed(channel="telegram", event_id="u1", now=tx.now)
            await tx.sessions.put(
                channel="telegram",
                chat_id="5",
                practitioner_id=None,
                state={"v": 2},
                dialog_id=None,
                dialog_version=None,
                now=tx.now,
                expires_at=stored.expires_at,
                session_id=stored.id,
            )
            raise Boom

    with pytest.raises(Boom):
        await turn_that_fails()
    unchanged = await stored_session(app, "telegram", "5")
    assert unchanged is not None
    assert unchanged.state == {"v": 1}
    assert await app.first_time("telegram", "u1")  # the dedupe mark was rolled back too
    assert not await app.first_time("telegram", "u1")


def test_a_missing_value_is_an_error_not_a_null() -> None:
    update = FastStatement(_UPDATE, sqlite.dialect())
    conn = sqlite3.connect(":memory:")
    with pytest.raises(KeyError):
        update.execute(conn, {"session_id": "x"})
    conn.close()


async def test_fast_and_sqlalchemy_statements_share_one_transaction(app: Relais) -> None:
    """Database.begin opens the transaction on the driver connection; a SQLAlchemy statement
    in the block joins it (no second BEGIN), and both commit, or both roll back, together."""

    async def turn(event_id: str, chat_id: str, *, fail: bool) -> None:
        async with app.db.transaction(app.clock.now()) as tx:
            await tx.sessions.mark_processed(channel="telegram", event_id=event_id, now=tx.now)
            await tx.sessions.put(  # no id known: looked up and inserted through SQLAlchemy
                channel="telegram",
                chat_id=chat_id,
                practitioner_id=None,
                state={"chat": chat_id},
                dialog_id=None,
                dialog_version=None,
                now=tx.now,
                expires_at=tx.now + app.config.sessions.expiry,
            )
            assert tx.conn.in_transaction()
            if fail:
                raise RuntimeError("boom")

    await turn("m1", "c1", fail=False)
    with pytest.raises(RuntimeError):
        await turn("m2", "c2", fail=True)
    stored = await stored_session(app, "telegram", "c1")
    assert stored is not None
    assert stored.state == {"chat": "c1"}
    assert not await app.first_time("telegram", "m1")
    assert await stored_session(app, "telegram", "c2") is None
    assert await app.first_time("telegram", "m2")
