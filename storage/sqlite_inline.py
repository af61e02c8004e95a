"""SQLite for the async engine without a thread hop per statement.

aiosqlite runs every call (execute, fetch, commit) on a worker thread and wakes the event loop
for each result. A chat turn is about ten such calls; under load each hop also waits for the GIL
(the loop thread keeps it for up to the 5 ms switch interval), so a busy bot spent most of a
reply's time handing statements to a thread. Indexed SQLite statements take microseconds, far
less than the hop, so this dialect runs the standard `sqlite3` module inline, in the greenlet
SQLAlchemy's async engine already uses: `await conn.execute(...)` completes without leaving the
event loop's thread.

The rules that make that safe:

- One connection per engine (`pool_size=1`, see `storage.db.create_engine`): a second user in
  the same process waits for it asynchronously in the pool, so two connections of one process
  never wait for each other's SQLite lock while holding the event loop.
- Another process (the `relais` command) holding the write lock makes a statement wait in
  SQLite's busy handler, blocking this process for as long as that transaction lasts (short
  batches); `busy_timeout` still bounds it.
- Commits do not fsync with `synchronous = normal` (WAL), so they cost microseconds.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine.url import URL
from sqlalchemy.util.concurrency import await_

__all__ = ["DRIVER", "SQLiteDialect_inline"]

DRIVER = "sqlite+relais"


class SQLiteDialect_inline(SQLiteDialect_pysqlite):
    """pysqlite, declared async: SQLAlchemy's async engine runs it inside its greenlet."""

    driver = "relais"
    is_async = True
    supports_statement_cache = True
    supports_server_side_cursors = False
    #: how a transaction starts (`storage.db.create_engine` sets it: IMMEDIATE takes the write
    #: lock up front; migrations use a plain BEGIN)
    begin_statement = "BEGIN IMMEDIATE"

    @classmethod
    def import_dbapi(cls) -> Any:
        return sqlite3

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool

    # SQLAlchemy's async engine insists that an execution awaited something (it catches a
    # synchronous driver used by mistake): each execution awaits a coroutine that is already
    # finished, a greenlet switch that never reaches the event loop.

    def do_execute(
        self, cursor: Any, statement: Any, parameters: Any, context: Any = None
    ) -> None:
        await_(_ready())
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        await_(_ready())
        cursor.execute(statement)

    def do_executemany(
        self, cursor: Any, statement: Any, parameters: Any, context: Any = None
    ) -> None:
        await_(_ready())
        cursor.executemany(statement, parameters)

    def do_begin(self, dbapi_connection: Any) -> None:
        # pysqlite would only begin before the first write; issued here directly rather than
        # through an event and a SQLAlchemy execution (a tenth of the cost). A transaction
        # `storage.database.Database` began on the driver connection is joined, not begun again.
        if not dbapi_connection.in_transaction:
            dbapi_connection.execute(self.begin_statement)

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        # the one pooled connection may be closed by the garbage collector on another thread
        kwargs["check_same_thread"] = False
        kwargs["factory"] = _Connection
        return args, kwargs


class _Cursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """SQLAlchemy's async results call this on adapted cursors; an inline cursor holds
        its rows already."""


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)


async def _ready() -> None:
    return None


registry.register("sqlite.relais", __name__, "SQLiteDialect_inline")
