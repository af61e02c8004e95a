"""PostgreSQL connections held in autocommit for the statements of every chat message.

A chat turn on PostgreSQL is two autocommit statements (`storage.pg_fast`), each in its own
`Database.autocommit` block. Checking a connection out of SQLAlchemy's pool for each block cost
about as much of this process's time as the statement's round trip (the pool's bookkeeping,
its events, setting and resetting the isolation level, a greenlet switch into the sync core and
back), and with more messages at once than the pool keeps, the overflow connections were opened
and closed again all the time (each one a new server process, its statements prepared again).

So the blocks take a connection from a few kept checked out of the pool in autocommit, and
hand it back to this list: taking one is a list pop. Nothing else changes: a block still runs
SQLAlchemy's statements on the same `AsyncConnection` when it needs to, a dead connection is
still found by the statement that uses it and invalidated by SQLAlchemy (`storage.retry` runs
the turn again), and then every connection kept idle is let go too (a server restart ended
them all; the pool does the same with its own).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["HELD_CONNECTIONS", "HeldConnections"]

_log = logging.getLogger(__name__)

#: connections kept for autocommit blocks (more blocks at once wait their turn: a block holds
#: one for a statement or two, well under a millisecond)
HELD_CONNECTIONS = 10
#: a kept connection older than this is handed back to the pool and a new one opened (as the
#: pool's `pool_recycle` would): long-lived server processes grow their caches
RECYCLE_SECONDS = 3600.0


class HeldConnections:
    """Up to `size` autocommit connections checked out of `engine`'s pool and kept."""

    def __init__(self, engine: AsyncEngine, size: int = HELD_CONNECTIONS) -> None:
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._size = size
        self._idle: list[tuple[AsyncConnection, float]] = []  # (connection, opened at)
        self._opened = 0  # kept: idle or in use
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def take(self) -> tuple[AsyncConnection, float]:
        """A kept connection (opened now if fewer than `size` are): (connection, opened at)."""
        while True:
            if self._closed:
                raise RuntimeError("the database is closed")
            if self._idle:
                return self._idle.pop()
            if self._opened < self._size:
                self._opened += 1
                try:
                    conn = await self._engine.connect()
                except BaseException:
                    self._opened -= 1
                    self._wake()
                    raise
                return conn, time.monotonic()
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                await waiter
            except BaseException:  # cancelled while waiting
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
                elif not waiter.cancelled():  # woken already: pass the turn on
                    self._wake()
                raise

    def _wake(self) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def give_back(self, conn: AsyncConnection, opened_at: float) -> None:
        """Keep `conn` for the next block, or let it go if it is broken, old or unwanted."""
        try:
            if not conn.invalidated and conn.in_transaction():
                await conn.rollback()  # SQLAlchemy's own bookkeeping (autocommit: no I/O)
        except Exception:
            _log.warning("a kept database connection could not be reset: let go")
            await self._let_go(conn)
            return
        if conn.invalidated:  # found dead: the server restarted or ended it, and most
            # likely the others with it; opening a few again is cheaper than a retry each
            await self._let_go(conn)
            stale, self._idle = self._idle, []
            for old, _at in stale:
                await self._let_go(old)
            return
        if self._closed or time.monotonic() - opened_at > RECYCLE_SECONDS:
            await self._let_go(conn)
            return
        self._idle.append((conn, opened_at))
        self._wake()

    async def _let_go(self, conn: AsyncConnection) -> None:
        self._opened -= 1
        self._wake()
        try:
            await conn.close()
        except Exception:
            _log.warning("could not close a kept database connection")

    async def close(self) -> None:
        """Hand every idle connection back (those in use go back when their block ends)."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn, _at in idle:
            await self._let_go(conn)
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
