"""One transaction: its repositories and audit writer (`storage.database` hands them out)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.audit import ActorKind, AuditLog
from storage.crypto import KeyRing
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

__all__ = ["Tx"]

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
