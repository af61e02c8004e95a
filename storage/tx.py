"""The database handle and one transaction with its repositories and audit writer."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.audit import ActorKind, AuditLog
from storage.audit_anchor import AnchorSink
from storage.crypto import KeyRing
from storage.held import HeldConnections
from storage.repos import Cases, Contacts, Inbox, Notes, People, Sessions
from storage.repos.access import Access
from storage.repos.checkin_reads import CheckinReads
from storage.repos.decisions import Decisions
from storage.repos.drafts import Drafts
from storage.repos.evaluation import EvaluationReads
from storage.repos.exit_answers import ExitAnswers
from storage.repos.feedback import Feedback
from storage.repos.handover import Handover
from storage.repos.occurrences import Occurrences
from storage.repos.outbox import Outbox
from storage.repos.pins import PinnedIdentities
from storage.repos.reviews import Reviews
from storage.repos.schedules import Schedules
from storage.repos.sharing import SharingRecords
from storage.repos.studio import StudioLogins
from storage.repos.usage import Usage
from storage.repos.versions import Versions
from storage.statements import Statements

__all__ = ["Database", "Tx"]

T = TypeVar("T")


class _made_when_used(Generic[T]):
    """A repository of the transaction, made on first use and kept in the instance (as
    `functools.cached_property`, without its per-access lock on Python 3.11)."""

    def __init__(self, make: Callable[[Tx], T]) -> None:
        self._make = make
        self._name = make.__name__
        self.__doc__ = make.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    def __get__(self, tx: Tx | None, owner: type) -> T:
        if tx is None:
            raise AttributeError(self._name)
        value = self._make(tx)
        tx.__dict__[self._name] = value
        return value


class Tx:
    """One open transaction: the connection, the repositories, the audit writer, `now`."""

    def __init__(
        self,
        conn: AsyncConnection,
        keys: KeyRing,
        audit: AuditLog,
        now: datetime,
        raw: sqlite3.Connection | None = None,
        pg: Any = None,
    ) -> None:
        self.conn = conn
        #: SQLite: the driver connection under `conn`, for the statements of every chat
        #: message (storage.sqlite_fast); None on PostgreSQL
        self.raw = raw
        #: PostgreSQL in an autocommit block: the asyncpg connection under `conn`, for the
        #: statements of a chat turn (storage.pg_fast); None otherwise
        self.pg = pg
        self.keys = keys
        self.now = now
        self._audit = audit
        #: the audit chain head as read in this transaction (SQLite only: BEGIN IMMEDIATE
        #: holds the write lock from the first statement, so it cannot move under us)
        self.audit_head: tuple[int, str] | None = None
        #: the last entry this transaction appended (anchored outside once committed)
        self.appended: tuple[int, str] | None = None
        #: called once the transaction has committed (never if it rolls back)
        self._committed: list[Callable[[], None]] = []

    # -- the repositories, made when first used (a chat turn uses two or three) -----------

    @_made_when_used
    def sql(self) -> Statements:
        """Runs the repositories' statements: a fast path when `raw` or `pg` is set."""
        return Statements(self.conn, self.raw, self.pg)

    @_made_when_used
    def access(self) -> Access:
        return Access(self.conn, self.keys, self, sql=self.sql)

    @_made_when_used
    def people(self) -> People:
        return People(self.conn, self.keys)

    @_made_when_used
    def cases(self) -> Cases:
        return Cases(self.conn)

    @_made_when_used
    def notes(self) -> Notes:
        return Notes(self.conn, self.keys)

    @_made_when_used
    def contacts(self) -> Contacts:
        return Contacts(self.conn, self.keys)

    @_made_when_used
    def sessions(self) -> Sessions:
        return Sessions(self.conn, self.keys, sql=self.sql)

    @_made_when_used
    def inbox(self) -> Inbox:
        return Inbox(self.conn, self.keys, sql=self.sql)

    @_made_when_used
    def pins(self) -> PinnedIdentities:
        return PinnedIdentities(self.conn)

    @_made_when_used
    def feedback(self) -> Feedback:
        return Feedback(self.conn, self.keys)

    @_made_when_used
    def evaluation(self) -> EvaluationReads:
        return EvaluationReads(self.conn)

    @_made_when_used
    def usage(self) -> Usage:
        return Usage(self.conn)

    @_made_when_used
    def drafts(self) -> Drafts:
        return Drafts(self.conn, self.keys)

    @_made_when_used
    def versions(self) -> Versions:
        return Versions(self.conn)

    @_made_when_used
    def schedules(self) -> Schedules:
        return Schedules(self.conn)

    @_made_when_used
    def occurrences(self) -> Occurrences:
        return Occurrences(self.conn)

    @_made_when_used
    def outbox(self) -> Outbox:
        return Outbox(self.conn)

    @_made_when_used
    def reviews(self) -> Reviews:
        return Reviews(self.conn)

    @_made_when_used
    def decisions(self) -> Decisions:
        return Decisions(self.conn, self.keys)

    @_made_when_used
    def handover(self) -> Handover:
        return Handover(self.conn)

    @_made_when_used
    def sharing(self) -> SharingRecords:
        return SharingRecords(self.conn, self.keys)

    @_made_when_used
    def exit_answers(self) -> ExitAnswers:
        return ExitAnswers(self.conn, self.keys)

    @_made_when_used
    def studio(self) -> StudioLogins:
        return StudioLogins(self.conn)

    @_made_when_used
    def checkin_reads(self) -> CheckinReads:
        return CheckinReads(self.conn)

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this transaction has committed, e.g. to wake a worker that
        reads what it wrote: woken earlier, another connection would not see the rows yet
        (PostgreSQL). Not run if the transaction rolls back; each callback runs once."""
        if callback not in self._committed:
            self._committed.append(callback)

    def run_committed(self) -> None:
        callbacks, self._committed = self._committed, []
        for callback in callbacks:
            callback()

    async def audit(
        self,
        *,
        actor_kind: ActorKind,
        actor_id: str | None,
        action: str,
        outcome: str = "ok",
        case_id: str | None = None,
        case_code: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        seq, digest = await self._audit.append(
            self.conn,
            head=self.audit_head,
            at=self.now,
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=action,
            outcome=outcome,
            case_id=case_id,
            case_code=case_code,
            detail=detail,
        )
        if self.audit_head is not None:
            self.audit_head = (seq, digest)
        self.appended = (seq, digest)
        return seq


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
        async with self.begin() as conn:
            tx = Tx(conn, self.keys, self.audit_log, now, self._raw)
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

    @asynccontextmanager
    async def autocommit(self, now: datetime) -> AsyncIterator[Tx]:
        """Statements that each commit on their own. On PostgreSQL that saves the BEGIN and
        COMMIT round trips of a transaction, and the block's `tx.sql` statements run on the asyncpg
        connection itself (`storage.pg_fast`); on SQLite, where they cost microseconds, it is
        `transaction` (one write lock, one commit)."""
        held = self._held_connections
        if held is None:
            async with self.transaction(now) as tx:
                yield tx
            return
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
                if conn.in_transaction():
                    await conn.rollback()
                elif raw.in_transaction:
                    raw.rollback()
                raise
            if conn.in_transaction():
                await conn.commit()
            elif raw.in_transaction:
                raw.commit()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (roll back or commit before leaving)."""
        if not self._sqlite:
            async with self.engine.connect() as conn:
                yield conn
            return
        async with self._lock:
            if self._held is None or self._held.closed or self._held.invalidated:
                self._held = await self.engine.connect()
                driver = (await self._held.get_raw_connection()).driver_connection
                self._raw = driver if isinstance(driver, sqlite3.Connection) else None
            conn = self._held
            try:
                yield conn
            finally:
                await self._tidy(conn)

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
