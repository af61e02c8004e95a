"""One query for authorization: the live practitioner, their roles and (optionally) a case
with their relation to it. Every use case starts with it, so it is a single round trip."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Table, and_, bindparam, func, literal_column, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import (
    AuditHead,
    CaseMemberRow,
    CaseRow,
    ChannelIdentityRow,
    DialogSessionRow,
    PractitionerRoleRow,
    PractitionerRow,
    ProcessedUpdateRow,
    TeamRow,
)
from storage.records import Case, case_relation
from storage.statements import Statements

__all__ = ["Access", "ActorRow", "HeadHolder"]


@dataclass(frozen=True, slots=True)
class ActorRow:
    practitioner_id: str
    team_id: str
    name: str
    roles: frozenset[str]
    language: str
    time_zone: str
    #: the team's name (what a dialog's `teams:` names)
    team_name: str = ""
    #: looked up by chat identity: the master key pinned for it and a different one seen since
    pinned_key: str | None = None
    seen_key: str | None = None
    #: looked up by chat identity: a send to it failed for good (the user blocked the bot)
    identity_unreachable: bool = False


def _roles(dialect: str) -> Any:
    role = PractitionerRoleRow.role
    agg = (
        func.string_agg(role, literal_column("','"))
        if dialect == "postgresql"
        else func.group_concat(role, literal_column("','"))
    )
    return (
        select(agg)
        .where(PractitionerRoleRow.practitioner_id == PractitionerRow.id)
        .scalar_subquery()
    )


def _base(dialect: str, with_head: bool) -> Any:
    query = select(
        PractitionerRow.id,
        PractitionerRow.team_id,
        PractitionerRow.display_name_enc,
        PractitionerRow.language,
        PractitionerRow.time_zone,
        _roles(dialect).label("roles"),
        select(TeamRow.name)
        .where(TeamRow.id == PractitionerRow.team_id)
        .scalar_subquery()
        .label("team_name"),
    )
    if with_head:
        head = AuditHead.id == 1
        query = query.add_columns(
            select(AuditHead.seq).where(head).scalar_subquery().label("head_seq"),
            select(AuditHead.hash).where(head).scalar_subquery().label("head_hash"),
        )
    return query


# The two actor queries run on every message and every use case: built once per dialect with
# bound parameters, so SQLAlchemy neither rebuilds nor re-hashes them each time.


@functools.cache
def _by_practitioner(dialect: str, with_head: bool) -> Any:
    return _base(dialect, with_head).where(
        PractitionerRow.id == bindparam("practitioner_id"), PractitionerRow.revoked_at.is_(None)
    )


@functools.cache
def _by_identity(dialect: str, with_head: bool) -> Any:
    return (
        _base(dialect, with_head)
        .add_columns(
            ChannelIdentityRow.pinned_master_key.label("pinned_key"),
            ChannelIdentityRow.seen_master_key.label("seen_key"),
            ChannelIdentityRow.unreachable.label("identity_unreachable"),
        )
        .join(ChannelIdentityRow, ChannelIdentityRow.practitioner_id == PractitionerRow.id)
        .where(
            ChannelIdentityRow.channel == bindparam("channel"),
            ChannelIdentityRow.user_id == bindparam("user_id"),
            PractitionerRow.revoked_at.is_(None),
        )
    )


@functools.cache
def _by_identity_with_session(dialect: str, with_head: bool) -> Any:
    """`_by_identity` and, in the same row, the chat's stored conversation (if any)."""
    sessions = DialogSessionRow.__table__
    return (
        _by_identity(dialect, with_head)
        .add_columns(*(column.label(f"session_{column.name}") for column in sessions.columns))
        .outerjoin(
            sessions,
            and_(
                sessions.c.channel == bindparam("channel"),
                sessions.c.chat_id == bindparam("chat_id"),
            ),
        )
    )


@functools.cache
def _marked_with_session() -> Any:
    """PostgreSQL: the start of a chat turn in one round trip. The update id is recorded
    (`INSERT … ON CONFLICT DO NOTHING` in a data-modifying CTE: `first_time` is 1 when this
    statement added it) and, in the same statement, `_by_identity_with_session` is read (a row
    of NULLs for an unknown sender)."""
    processed = ProcessedUpdateRow.__table__
    assert isinstance(processed, Table)
    mark = (
        pg_insert(processed)
        .values(
            channel=bindparam("channel"),
            event_id=bindparam("event_id"),
            processed_at=bindparam("now", type_=processed.c.processed_at.type),
        )
        .on_conflict_do_nothing()
        .returning(literal_column("1").label("added"))
        .cte("mark")
    )
    found = _by_identity_with_session("postgresql", False).subquery("found")
    one = select(literal_column("1").label("one")).subquery("one")
    first_time = select(func.count()).select_from(mark).scalar_subquery().label("first_time")
    return select(first_time, found).select_from(one.outerjoin(found, true()))


class HeadHolder(Protocol):
    audit_head: tuple[int, str] | None


class Access:
    """On SQLite the query also reads the audit chain head into `holder.audit_head` (the
    transaction holds the write lock already), saving the audit writer a round trip."""

    def __init__(
        self,
        conn: AsyncConnection,
        keys: KeyRing,
        holder: HeadHolder | None = None,
        *,
        sql: Statements | None = None,
    ) -> None:
        self._conn = conn
        self._sql = sql if sql is not None else Statements(conn)
        self._keys = keys
        self._holder = holder
        self._with_head = holder is not None and conn.dialect.name == "sqlite"

    def _actor(self, row: Any) -> ActorRow:
        if self._with_head and self._holder is not None and row.head_seq is not None:
            self._holder.audit_head = (int(row.head_seq), str(row.head_hash))
        return ActorRow(
            practitioner_id=row.id,
            team_id=row.team_id,
            name=self._keys.decrypt(
                row.display_name_enc,
                table="practitioners",
                column="display_name",
                row_id=row.id,
            ),
            roles=frozenset(r for r in (row.roles or "").split(",") if r),
            language=row.language,
            time_zone=row.time_zone,
            team_name=row.team_name or "",
            pinned_key=getattr(row, "pinned_key", None),
            seen_key=getattr(row, "seen_key", None),
            identity_unreachable=bool(getattr(row, "identity_unreachable", False)),
        )

    def _base(self) -> Any:
        return _base(self._conn.dialect.name, self._with_head)

    async def actor(self, *, practitioner_id: str) -> ActorRow | None:
        """The practitioner unless unknown or revoked."""
        query = _by_practitioner(self._conn.dialect.name, self._with_head)
        row = (await self._conn.execute(query, {"practitioner_id": practitioner_id})).first()
        return self._actor(row) if row else None

    async def actor_for_identity(self, *, channel: str, user_id: str) -> ActorRow | None:
        """The practitioner bound to a chat identity, unless unknown or revoked (the query of
        every chat message: built once per dialect, see `_by_identity`)."""
        query = _by_identity(self._conn.dialect.name, self._with_head)
        row = (await self._conn.execute(query, {"channel": channel, "user_id": user_id})).first()
        return self._actor(row) if row else None

    async def actor_and_session(
        self, *, channel: str, user_id: str, chat_id: str
    ) -> tuple[ActorRow | None, Any]:
        """The start of a chat turn in one query: the practitioner bound to the chat identity
        (None if unknown or revoked) and the chat's stored conversation as a row of
        ``session_*`` columns (None if there is none), for `Sessions.from_joined`."""
        values = {"channel": channel, "user_id": user_id, "chat_id": chat_id}
        query = _by_identity_with_session(self._conn.dialect.name, self._with_head)
        row = await self._sql.first(query, values)
        if row is None:
            return None, None
        return self._actor(row), (row if row.session_id is not None else None)

    async def marked_actor_and_session(
        self, *, channel: str, user_id: str, chat_id: str, event_id: str, now: Any
    ) -> tuple[bool, ActorRow | None, Any] | None:
        """PostgreSQL: (first time this update id is seen, `actor_and_session`'s pair) in one
        statement (`_marked_with_session`); None elsewhere (SQLite runs the two statements,
        microseconds apart on its connection)."""
        if self._conn.dialect.name != "postgresql":
            return None
        values = {
            "channel": channel,
            "user_id": user_id,
            "chat_id": chat_id,
            "event_id": event_id,
            "now": now,
        }
        row = await self._sql.first(_marked_with_session(), values)
        first_time = bool(row is not None and row.first_time)
        if row is None or row.id is None:
            return first_time, None, None
        return first_time, self._actor(row), (row if row.session_id is not None else None)

    async def actor_and_case(
        self, *, practitioner_id: str, code: str
    ) -> tuple[ActorRow | None, Case | None, str]:
        """(actor, case, relation owner|member|other) in one query."""
        member = (
            select(CaseMemberRow.role)
            .where(
                CaseMemberRow.case_id == CaseRow.id,
                CaseMemberRow.practitioner_id == PractitionerRow.id,
            )
            .scalar_subquery()
        )
        query = (
            self._base()
            .add_columns(
                CaseRow.id.label("case_id"),
                CaseRow.team_id.label("case_team_id"),
                CaseRow.code,
                CaseRow.status,
                CaseRow.owner_id,
                CaseRow.created_at,
                CaseRow.closed_at,
                member.label("member_role"),
            )
            .select_from(PractitionerRow)
            .outerjoin(CaseRow, CaseRow.code == code)
            .where(PractitionerRow.id == practitioner_id, PractitionerRow.revoked_at.is_(None))
        )
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None, None, "other"
        actor = self._actor(row)
        if row.case_id is None:
            return actor, None, "other"
        case = Case(
            id=row.case_id,
            team_id=row.case_team_id,
            code=row.code,
            status=row.status,
            owner_id=row.owner_id,
            created_at=row.created_at,
            closed_at=row.closed_at,
        )
        relation = case_relation(
            owner_id=case.owner_id,
            practitioner_id=actor.practitioner_id,
            member=row.member_role is not None,
        )
        return actor, case, relation
