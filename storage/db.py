"""Engines: SQLite (WAL, run inline) or PostgreSQL (asyncpg), one transaction style for both.

On SQLite every transaction starts with ``BEGIN IMMEDIATE``: each use case writes its audit
entry, so every transaction is a write and taking the write lock up front avoids the
"database is locked" upgrade deadlock between two deferred transactions. The engine holds a
single connection, run inline on the event loop's thread (`storage.sqlite_inline` says why);
`storage.database.Database` keeps it open and queues the coroutines of the process for it, in
order.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage.sqlite_inline import DRIVER as SQLITE_DRIVER
from storage.sqlite_inline import SQLiteDialect_inline

__all__ = [
    "PG_MAX_OVERFLOW",
    "PG_POOL_SIZE",
    "create_engine",
    "is_sqlite",
    "normalise_url",
    "sqlite_path",
]

#: PostgreSQL connections a process keeps open, and how many more it may open for a burst
PG_POOL_SIZE = 20
PG_MAX_OVERFLOW = 10

log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """Pick the async driver: postgresql:// -> asyncpg, sqlite:// -> the inline SQLite driver
    (also for sqlite+aiosqlite://, the spelling of earlier configurations)."""
    parsed = make_url(url)
    name = parsed.drivername
    if name in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif name in ("sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"):
        parsed = parsed.set(drivername=SQLITE_DRIVER)
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).drivername.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def create_engine(
    url: str,
    *,
    echo: bool = False,
    immediate: bool = True,
    foreign_keys: bool = True,
    synchronous: str = "normal",
) -> AsyncEngine:
    """An async engine for `url`; SQLite gets WAL, foreign keys and BEGIN IMMEDIATE.

    Migrations use ``immediate=False, foreign_keys=False``: with foreign keys on, the table
    copy of an SQLite batch migration would cascade deletes into child tables.
    """
    url = normalise_url(url)
    kwargs: dict[str, Any] = {"echo": echo}
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():  # owner-only; SQLite gives the WAL and shm files the same mode
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        kwargs["connect_args"] = {"timeout": 30}
        if path is not None:
            # one connection: see storage.sqlite_inline (a second one in the same thread could
            # wait in SQLite's busy handler for a lock the first holds, blocking the loop)
            kwargs["pool_size"] = 1
            kwargs["max_overflow"] = 0
            kwargs["pool_timeout"] = 60
    else:
        # PostgreSQL: connections kept for as many messages as are handled at once (the
        # default 5 made busy chats open and close overflow connections all the time, each
        # one connecting and preparing its statements again); at most 30 per process
        kwargs["pool_size"] = PG_POOL_SIZE
        kwargs["max_overflow"] = PG_MAX_OVERFLOW
    # PostgreSQL: no ping before each checkout (a round trip on every message); a connection
    # the server dropped fails its first statement, and the use case runs again on a new one
    # (storage.retry). asyncpg's prepared statements are reused per connection (SQLAlchemy's
    # asyncpg dialect keeps the last 100: `prepared_statement_cache_size`).
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        _configure_sqlite(
            engine, immediate=immediate, foreign_keys=foreign_keys, synchronous=synchronous
        )
    return engine


def _configure_sqlite(
    engine: AsyncEngine, *, immediate: bool, foreign_keys: bool, synchronous: str
) -> None:
    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
    sync = "FULL" if synchronous == "full" else "NORMAL"
    fk = "ON" if foreign_keys else "OFF"

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={sync}")
        cursor.execute(f"PRAGMA foreign_keys={fk}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    dialect = engine.dialect
    if not isinstance(dialect, SQLiteDialect_inline):
        raise TypeError(f"expected the inline SQLite driver, got {dialect.driver}")
    dialect.begin_statement = begin
