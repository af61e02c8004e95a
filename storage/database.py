"""The database handle: hands out transactions (`Tx`) and connections.

On SQLite the process keeps its one connection open and queues its users on a lock; on
PostgreSQL transactions come from SQLAlchemy's pool and the autocommit blocks of every chat
message from connections kept for them (`storage.held`).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.audit import AuditLog
from storage.audit_anchor import AnchorSink
from storage.crypto import KeyRing
from storage.held import HeldConnections
from storage.tx import Tx

__all__ = ["Database"]


async def _sqlite_commit(conn: AsyncConnection, raw: sqlite3.Connection) -> None:
    """End a transaction begun on the driver connection: through SQLAlchemy if it joined."""
    if conn.in_transaction():
        await conn.commit()
    elif raw.in_transaction:
        raw.commit()


async def _sqlite_rollback(conn: AsyncConnection, raw: sqlite3.Connection) -> None:
    if conn.in_transaction():
        await conn.rollback()
    elif raw.in_transaction:
        raw.rollback()


def _begin_statement(conn: AsyncConnection) -> str:
    return str(getattr(conn.dialect, "begin_statement", "BEGIN IMMEDIATE"))


class Database:
    """The engine, the key ring and the audit log; hands out transactions and connections.

    On SQLite the process keeps its one connection open and queues its users on a lock, in
    order (see storage.sqlite_inline): checking a connection out of a pool for every
    transaction cost more than the statements of a chat turn. Everything in the process that
    reads or writes goes through `transaction`, `begin` or `connect`, never `engine` directly
    (the engine's single connection is held here).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        keys: KeyRing,
        audit: AuditLog,
        anchor: AnchorSink | None = None,
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.audit_log = audit
        #: where the audit head is anchored outside the database (None: nowhere)
        self.anchor = anchor if anchor is not None and anchor.enabled else None
        self._sqlite = engine.dialect.name == "sqlite"
        self._asyncpg = engine.dialect.driver == "asyncpg"
        #: PostgreSQL: connections kept checked out in autocommit for `autocommit` blocks
        self._held_connections = None if self._sqlite else HeldConnections(engine)
        self._lock = asyncio.Lock()
        self._held: AsyncConnection | None = None
        self._raw: sqlite3.Connection | None = None  # the driver connection of `_held`

    @asynccontextmanager
    async def transaction(self, now: datetime) -> AsyncIterator[Tx]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        if self._sqlite:  # the process's one connection, under the lock (no nesting of
            # `begin` and `connect`: this runs twice for every chat message)
            async with self._lock:
                conn = await self._sqlite_connection()
                try:
                    raw = self._raw
                    if raw is None:  # not the inline driver: SQLAlchemy's own transaction
                        async with conn.begin():
                            tx = Tx(conn, self.keys, self.audit_log, now)
                            yield tx
                    else:
                        raw.execute(_begin_statement(conn))
                        try:
                            tx = Tx(conn, self.keys, self.audit_log, now, raw)
                            yield tx
                        except BaseException:
                            await _sqlite_rollback(conn, raw)
                            raise
                        await _sqlite_commit(conn, raw)
                finally:
                    await self._tidy(conn)
        else:
            async with self.engine.begin() as conn:
                tx = Tx(conn, self.keys, self.audit_log, now)
                yield tx
        if self.anchor is not None and tx.appended is not None:
            self.anchor.after_commit(*tx.appended, now)
        tx.run_committed()

    async def anchor_head(self, now: datetime) -> None:
        """Anchor the current head outside the database (at shutdown), if it moved."""
        if self.anchor is None:
            return
        async with self.connect() as conn:
            head = await self.audit_log.head(conn)
            await conn.rollback()
        if head is not None and head[0] > 0:
            self.anchor.anchor(head[0], head[1], now)

    def autocommit(self, now: datetime) -> AbstractAsyncContextManager[Tx]:
        """Statements that each commit on their own. On PostgreSQL that saves the BEGIN and
        COMMIT round trips of a transaction, and the block's `tx.sql` statements run on the
        asyncpg connection itself (`storage.pg_fast`), one of those kept for these blocks
        (`storage.held`); on SQLite, where they cost microseconds, it is `transaction` (one
        write lock, one commit)."""
        if self._held_connections is None:
            return self.transaction(now)
        return self._autocommit(self._held_connections, now)

    @asynccontextmanager
    async def _autocommit(self, held: HeldConnections, now: datetime) -> AsyncIterator[Tx]:
        single, opened_at = await held.take()
        try:
            driver, sync = None, single.sync_connection
            if self._asyncpg and sync is not None and not single.invalidated:
                # its statements run on the driver (storage.pg_fast); checked out, so reading
                # it does no I/O
                driver = sync.connection.driver_connection
            tx = Tx(single, self.keys, self.audit_log, now, pg=driver)
            yield tx
        finally:
            await held.give_back(single, opened_at)
        tx.run_committed()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction, committed when the block ends."""
        if not self._sqlite:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self.connect() as conn:
            raw = self._raw
            if raw is None:  # not the inline driver: SQLAlchemy's own transaction
                async with conn.begin():
                    yield conn
                return
            # The transaction is begun on the driver connection; SQLAlchemy joins it if the
            # block executes through it (the dialect's do_begin sees it open) and ends it then.
            # A block that only runs `storage.sqlite_fast` statements (a chat turn) never
            # wakes SQLAlchemy's transaction machinery, which cost more than the statements.
            raw.execute(_begin_statement(conn))
            try:
                yield conn
            except BaseException:
                await _sqlite_rollback(conn, raw)
                raise
            await _sqlite_commit(conn, raw)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (roll back or commit before leaving)."""
        if not self._sqlite:
            async with self.engine.connect() as conn:
                yield conn
            return
        async with self._lock:
            conn = await self._sqlite_connection()
            try:
                yield conn
            finally:
                await self._tidy(conn)

    async def _sqlite_connection(self) -> AsyncConnection:
        """The process's one SQLite connection (opened if it is not): hold `_lock`."""
        held = self._held
        if held is None or held.closed or held.invalidated:
            held = self._held = await self.engine.connect()
            driver = (await held.get_raw_connection()).driver_connection
            self._raw = driver if isinstance(driver, sqlite3.Connection) else None
        return held

    async def _tidy(self, conn: AsyncConnection) -> None:
        """Leave the held connection without a transaction, or drop it if it is broken."""
        try:
            if not conn.invalidated and conn.in_transaction():
                await conn.rollback()
        except Exception:
            pass  # dropped below
        else:
            if not conn.invalidated:
                return
        self._held = None
        self._raw = None
        try:
            await conn.close()
        except Exception:
            logging.getLogger(__name__).warning("could not close a broken SQLite connection")

    async def close(self) -> None:
        if self._held_connections is not None:
            await self._held_connections.close()
        async with self._lock:
            if self._held is not None:
                await self._held.close()
                self._held = None
                self._raw = None
        await self.engine.dispose()
