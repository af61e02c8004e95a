"""The SQLite driver runs statements inline, on the event loop's thread, through one
connection per engine; transactions of one process queue for it, another process's write lock
is waited for (storage/sqlite_inline.py)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy import text

from bot.app import Relais
from storage.db import create_engine
from tests.stored import stored_session


async def test_statements_run_on_the_event_loop_thread(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            driver.create_function("thread_id", 0, threading.get_ident)
            ran_on = (await conn.execute(text("select thread_id()"))).scalar_one()
        assert ran_on == threading.get_ident()
        assert engine.pool.size() == 1  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_concurrent_transactions_of_one_process_all_commit(
    sqlite_url: str, tmp_path: Path
) -> None:
    from bot.config import Config, StorageConfig

    app = await Relais.open(
        Config(data_dir=str(tmp_path / "data"), storage=StorageConfig(url=sqlite_url))
    )
    try:

        async def chat(n: int) -> None:
            for turn in range(5):
                await app.save_session("telegram", str(n), {"turn": turn})
                await asyncio.sleep(0)

        await asyncio.gather(*(chat(n) for n in range(40)))
        for n in range(40):
            stored = await stored_session(app, "telegram", str(n))
            assert stored is not None
            assert stored.state == {"turn": 4}
    finally:
        await app.close()


async def test_another_process_holding_the_write_lock_is_waited_for(sqlite_url: str) -> None:
    path = sqlite_url.removeprefix("sqlite:///")
    locked = threading.Event()

    def other_process() -> None:  # a separate connection, as the `relais` command would hold
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        locked.set()
        time.sleep(0.3)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=other_process)
    holder.start()
    assert await asyncio.to_thread(locked.wait, 5)
    engine = create_engine(sqlite_url)
    try:
        started = time.monotonic()
        async with engine.begin() as conn:
            await conn.execute(text("update audit_head set seq = seq where id = 1"))
        assert time.monotonic() - started >= 0.2  # it waited for the lock, then wrote
    finally:
        await engine.dispose()
        holder.join()


async def test_a_transaction_takes_the_write_lock_at_its_start(relais: Relais) -> None:
    """Every transaction begins IMMEDIATE, even one that has only read so far: another writer
    is kept out from the first statement (no lock upgrade deadlock later)."""
    url = relais.config.database_url()
    if not url.startswith("sqlite"):
        return  # PostgreSQL: row locks, nothing to show here
    path = url.split("///", 1)[1]

    def other_writer() -> str:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return "got the lock"
        except sqlite3.OperationalError as exc:
            return str(exc)
        finally:
            conn.close()

    async with relais.db.begin() as conn:
        await conn.execute(text("select count(*) from audit_log"))
        assert await asyncio.to_thread(other_writer) == "database is locked"
    assert await asyncio.to_thread(other_writer) == "got the lock"
