"""Check-in storage: schedules, occurrences and the outbox (repositories, Core statements).

Every function takes the caller's connection (one transaction per use case or dispatcher step)
and keyword arguments, and returns frozen data objects, never live rows.

Exactly once across processes: claims lock rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL (another process skips them instead of waiting) and then flip them with a
compare-and-set ``UPDATE ... WHERE status = <expected>``; on SQLite, where ``FOR UPDATE`` does not
exist, every transaction holds the single write lock (``BEGIN IMMEDIATE``, see `storage.db`), so
the compare-and-set is enough. Leases (`lease_owner`, `lease_until`) let a process take over the
rows of a process that died mid-send. Inserts of occurrences and outbox messages are
``ON CONFLICT DO NOTHING`` on their natural keys ((schedule, due time) and the idempotency key),
so even a duplicated step cannot create a second reminder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.checkins.recurrence import EveryNDays, Monthly, OneOff, Recurrence, Weekly, zone
from storage.models import (
    CaseMemberRow,
    CaseRow,
    ChannelIdentityRow,
    CheckinOccurrenceRow,
    CheckinScheduleRow,
    ContactRow,
    OnCallRow,
    OutboxRow,
    PractitionerRoleRow,
    PractitionerRow,
    new_id,
)
from storage.types import UTCDateTime

__all__ = [
    "CaseRef",
    "Identity",
    "Occurrence",
    "OutboxItem",
    "PractitionerRef",
    "Schedule",
    "advance_schedules",
    "case_by_code",
    "case_by_id",
    "cases_by_ids",
    "claim_due_occurrences",
    "claim_due_schedules",
    "claim_outbox",
    "enqueue",
    "enqueue_many",
    "fallback_practitioner",
    "finish_outbox",
    "get_occurrence",
    "get_schedule",
    "identities",
    "identities_for",
    "insert_occurrence",
    "insert_occurrences",
    "insert_schedule",
    "list_occurrences",
    "list_schedules",
    "next_wakeup",
    "occurrence_values",
    "oncall_practitioners",
    "outbox_values",
    "pending_message",
    "practitioner",
    "practitioners_by_ids",
    "record_steps",
    "relation_to_case",
    "replace_payload",
    "rule_columns",
    "rule_of",
    "schedules_by_ids",
    "team_coordinators",
    "update_occurrence",
    "update_schedule",
]

# Occurrence statuses: pending (waits for deliver_at) -> waiting (reminded, escalation running)
# -> acknowledged | exhausted (the chain ran out) ; snoozed (replaced by a later occurrence),
# cancelled (its schedule was cancelled or paused before delivery), summarised (too late: in a
# downtime summary instead).
OPEN_OCCURRENCE = ("pending", "waiting")


# -- data objects -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseRef:
    id: str
    code: str
    team_id: str
    owner_id: str
    status: str


@dataclass(frozen=True, slots=True)
class PractitionerRef:
    id: str
    team_id: str
    language: str
    time_zone: str
    quiet_start: str | None
    quiet_end: str | None
    reachable: bool  # not revoked (unreachable identities are filtered by `identities`)
    display_name_enc: bytes


@dataclass(frozen=True, slots=True)
class Identity:
    channel: str
    user_id: str


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    case_id: str
    rule: Recurrence
    time_zone: str
    reminded_id: str
    escalate_to_id: str | None
    grace: timedelta
    urgent: bool
    status: str  # active | paused | cancelled | done
    next_due_at: datetime | None
    label_enc: bytes | None
    created_by: str | None


@dataclass(frozen=True, slots=True)
class Occurrence:
    id: str
    kind: str  # checkin | page
    schedule_id: str | None
    case_id: str | None
    role: str | None
    requested_by: str | None
    recipient_id: str | None
    due_at: datetime
    deliver_at: datetime
    status: str
    escalation_level: int
    escalation_chain: str
    next_action_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    late: bool


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: str
    idempotency_key: str
    practitioner_id: str | None
    kind: str
    payload_enc: bytes
    occurrence_id: str | None
    status: str
    attempts: int


# -- helpers ------------------------------------------------------------------------------------


def _hhmm(text: str | None) -> time:
    if not text:
        raise ValueError("a recurring schedule needs at_time")
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def rule_of(row: Any) -> Recurrence:
    """The recurrence rule of a `checkin_schedules` row."""
    if row.kind == "weekly":
        return Weekly(int(row.weekday), _hhmm(row.at_time), row.time_zone)
    if row.kind == "every_n_days":
        start: date = row.starts_on.astimezone(zone(row.time_zone)).date()
        return EveryNDays(int(row.every_days), _hhmm(row.at_time), row.time_zone, start)
    if row.kind == "monthly":
        return Monthly(int(row.day_of_month), _hhmm(row.at_time), row.time_zone)
    if row.kind == "once":
        return OneOff(row.due_at)
    raise ValueError(f"unknown schedule kind {row.kind!r} in schedule {row.id}")


def rule_columns(rule: Recurrence) -> dict[str, Any]:
    """The `checkin_schedules` columns that store `rule`."""
    cols: dict[str, Any] = {
        "weekday": None,
        "day_of_month": None,
        "every_days": None,
        "at_time": None,
        "starts_on": None,
        "due_at": None,
    }
    if isinstance(rule, Weekly):
        cols.update(kind="weekly", weekday=rule.weekday, at_time=f"{rule.at:%H:%M}")
        cols["time_zone"] = rule.time_zone
    elif isinstance(rule, EveryNDays):
        from bot.checkins.recurrence import local_to_utc

        cols.update(kind="every_n_days", every_days=rule.days, at_time=f"{rule.at:%H:%M}")
        cols["starts_on"] = local_to_utc(rule.start, rule.at, zone(rule.time_zone))
        cols["time_zone"] = rule.time_zone
    elif isinstance(rule, Monthly):
        cols.update(kind="monthly", day_of_month=rule.day, at_time=f"{rule.at:%H:%M}")
        cols["time_zone"] = rule.time_zone
    else:
        cols.update(kind="once", due_at=rule.at_utc)
    return cols


def _schedule(row: Any) -> Schedule:
    return Schedule(
        id=row.id,
        case_id=row.case_id,
        rule=rule_of(row),
        time_zone=row.time_zone,
        reminded_id=row.reminded_id,
        escalate_to_id=row.escalate_to_id,
        grace=timedelta(seconds=row.grace_seconds),
        urgent=bool(row.urgent),
        status=row.status,
        next_due_at=row.next_due_at,
        label_enc=row.label_enc,
        created_by=row.created_by,
    )


def _occurrence(row: Any) -> Occurrence:
    return Occurrence(
        id=row.id,
        kind=row.kind,
        schedule_id=row.schedule_id,
        case_id=row.case_id,
        role=row.role,
        requested_by=row.requested_by,
        recipient_id=row.recipient_id,
        due_at=row.due_at,
        deliver_at=row.deliver_at,
        status=row.status,
        escalation_level=row.escalation_level,
        escalation_chain=row.escalation_chain,
        next_action_at=row.next_action_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        late=bool(row.late),
    )


def _outbox(row: Any) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        idempotency_key=row.idempotency_key,
        practitioner_id=row.practitioner_id,
        kind=row.kind,
        payload_enc=row.payload_enc,
        occurrence_id=row.occurrence_id,
        status=row.status,
        attempts=row.attempts,
    )


def _lock(conn: AsyncConnection, query: Select[Any]) -> Select[Any]:
    """Row locks on PostgreSQL (skip rows another process holds); SQLite: the write lock."""
    if conn.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def _insert_ignore(conn: AsyncConnection, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (execute with one dict, or a list: executemany)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


# -- cases and people ---------------------------------------------------------------------------


def _case(row: Any) -> CaseRef:
    return CaseRef(row.id, row.code, row.team_id, row.owner_id, row.status)


async def case_by_code(conn: AsyncConnection, *, code: str) -> CaseRef | None:
    row = (await conn.execute(select(CaseRow).where(CaseRow.code == code))).first()
    return _case(row) if row else None


async def case_by_id(conn: AsyncConnection, *, case_id: str) -> CaseRef | None:
    row = (await conn.execute(select(CaseRow).where(CaseRow.id == case_id))).first()
    return _case(row) if row else None


async def cases_by_ids(conn: AsyncConnection, *, ids: Iterable[str]) -> dict[str, CaseRef]:
    wanted = sorted(set(ids))
    out: dict[str, CaseRef] = {}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(CaseRow).where(CaseRow.id.in_(wanted[start : start + 500]))
        )
        out.update({r.id: _case(r) for r in rows})
    return out


async def practitioners_by_ids(
    conn: AsyncConnection, *, ids: Iterable[str]
) -> dict[str, PractitionerRef]:
    wanted = sorted(set(ids))
    out: dict[str, PractitionerRef] = {}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(PractitionerRow).where(PractitionerRow.id.in_(wanted[start : start + 500]))
        )
        out.update({r.id: _practitioner(r) for r in rows})
    return out


async def schedules_by_ids(conn: AsyncConnection, *, ids: Iterable[str]) -> dict[str, Schedule]:
    wanted = sorted(set(ids))
    out: dict[str, Schedule] = {}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(CheckinScheduleRow).where(
                CheckinScheduleRow.id.in_(wanted[start : start + 500])
            )
        )
        out.update({r.id: _schedule(r) for r in rows})
    return out


async def relation_to_case(conn: AsyncConnection, *, case: CaseRef, practitioner_id: str) -> str:
    if case.owner_id == practitioner_id:
        return "owner"
    member = await conn.scalar(
        select(func.count())
        .select_from(CaseMemberRow)
        .where(CaseMemberRow.case_id == case.id, CaseMemberRow.practitioner_id == practitioner_id)
    )
    return "member" if member else "other"


async def practitioner(conn: AsyncConnection, *, practitioner_id: str) -> PractitionerRef | None:
    row = (
        await conn.execute(select(PractitionerRow).where(PractitionerRow.id == practitioner_id))
    ).first()
    return _practitioner(row) if row is not None else None


def _practitioner(row: Any) -> PractitionerRef:
    return PractitionerRef(
        id=row.id,
        team_id=row.team_id,
        language=row.language,
        time_zone=row.time_zone,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        reachable=row.revoked_at is None,
        display_name_enc=row.display_name_enc,
    )


async def identities(conn: AsyncConnection, *, practitioner_id: str) -> list[Identity]:
    """The chat identities to try, Matrix (end-to-end encrypted) first."""
    rows = await conn.execute(
        select(ChannelIdentityRow.channel, ChannelIdentityRow.user_id)
        .join(PractitionerRow, PractitionerRow.id == ChannelIdentityRow.practitioner_id)
        .where(
            ChannelIdentityRow.practitioner_id == practitioner_id,
            ChannelIdentityRow.unreachable.is_(False),
            PractitionerRow.revoked_at.is_(None),
        )
        .order_by(ChannelIdentityRow.channel.desc(), ChannelIdentityRow.id)
    )
    order = {"matrix": 0, "telegram": 1}
    found = [Identity(r.channel, r.user_id) for r in rows]
    return sorted(found, key=lambda i: order.get(i.channel, 2))


async def identities_for(
    conn: AsyncConnection, *, practitioner_ids: Iterable[str]
) -> dict[str, list[Identity]]:
    """The reachable chat identities of several practitioners (Matrix first), in one query."""
    wanted = sorted(set(practitioner_ids))
    out: dict[str, list[Identity]] = {pid: [] for pid in wanted}
    order = {"matrix": 0, "telegram": 1}
    for start in range(0, len(wanted), 500):
        rows = await conn.execute(
            select(
                ChannelIdentityRow.practitioner_id,
                ChannelIdentityRow.channel,
                ChannelIdentityRow.user_id,
            )
            .join(PractitionerRow, PractitionerRow.id == ChannelIdentityRow.practitioner_id)
            .where(
                ChannelIdentityRow.practitioner_id.in_(wanted[start : start + 500]),
                ChannelIdentityRow.unreachable.is_(False),
                PractitionerRow.revoked_at.is_(None),
            )
            .order_by(ChannelIdentityRow.id)
        )
        for r in rows:
            out[r.practitioner_id].append(Identity(r.channel, r.user_id))
    for found in out.values():
        found.sort(key=lambda i: order.get(i.channel, 2))
    return out


async def team_coordinators(conn: AsyncConnection, *, team_id: str) -> list[str]:
    """The team's active coordinators, longest-serving first."""
    rows = await conn.execute(
        select(PractitionerRow.id)
        .join(PractitionerRoleRow, PractitionerRoleRow.practitioner_id == PractitionerRow.id)
        .where(
            PractitionerRow.team_id == team_id,
            PractitionerRoleRow.role == "coordinator",
            PractitionerRow.revoked_at.is_(None),
        )
        .order_by(PractitionerRow.created_at, PractitionerRow.id)
    )
    return [str(r.id) for r in rows]


async def oncall_practitioners(
    conn: AsyncConnection, *, team_id: str, role: str, now: datetime
) -> list[str]:
    """Who answers for `role` now, in rota order, then the directory's people for the role."""
    rota = await conn.execute(
        select(ContactRow.practitioner_id)
        .join(OnCallRow, OnCallRow.contact_id == ContactRow.id)
        .where(
            OnCallRow.team_id == team_id,
            OnCallRow.role == role,
            OnCallRow.starts_at <= now,
            OnCallRow.ends_at > now,
            ContactRow.practitioner_id.is_not(None),
        )
        .order_by(OnCallRow.position, OnCallRow.id)
    )
    directory = await conn.execute(
        select(ContactRow.practitioner_id)
        .where(
            ContactRow.team_id == team_id,
            ContactRow.role == role,
            ContactRow.practitioner_id.is_not(None),
        )
        .order_by(ContactRow.priority, ContactRow.key)
    )
    out: list[str] = []
    for row in [*rota, *directory]:
        if row.practitioner_id not in out:
            out.append(str(row.practitioner_id))
    return out


async def fallback_practitioner(
    conn: AsyncConnection, *, team_id: str, role: str, now: datetime, exclude: Iterable[str] = ()
) -> str | None:
    """The person behind the fallback contact role (on call now first), if it has one."""
    skip = set(exclude)
    for pid in await oncall_practitioners(conn, team_id=team_id, role=role, now=now):
        if pid not in skip:
            return pid
    return None


# -- schedules ----------------------------------------------------------------------------------


async def insert_schedule(
    conn: AsyncConnection,
    *,
    case_id: str,
    rule: Recurrence,
    reminded_id: str,
    escalate_to_id: str | None,
    grace: timedelta,
    urgent: bool,
    next_due_at: datetime | None,
    created_by: str | None,
    now: datetime,
    schedule_id: str | None = None,
    label_enc: bytes | None = None,
) -> str:
    sid = schedule_id or new_id()
    cols = rule_columns(rule)
    cols.setdefault("time_zone", "UTC")
    await conn.execute(
        insert(CheckinScheduleRow).values(
            id=sid,
            case_id=case_id,
            reminded_id=reminded_id,
            escalate_to_id=escalate_to_id,
            grace_seconds=int(grace.total_seconds()),
            urgent=urgent,
            label_enc=label_enc,
            status="active" if next_due_at is not None else "done",
            next_due_at=next_due_at,
            created_by=created_by,
            created_at=now,
            updated_at=now,
            **cols,
        )
    )
    return sid


async def get_schedule(conn: AsyncConnection, *, schedule_id: str) -> Schedule | None:
    row = (
        await conn.execute(select(CheckinScheduleRow).where(CheckinScheduleRow.id == schedule_id))
    ).first()
    return _schedule(row) if row else None


async def list_schedules(
    conn: AsyncConnection,
    *,
    case_ids: Sequence[str] | None = None,
    reminded_id: str | None = None,
    statuses: Sequence[str] = ("active", "paused"),
) -> list[Schedule]:
    query = select(CheckinScheduleRow).where(CheckinScheduleRow.status.in_(statuses))
    filters: list[ColumnElement[bool]] = []
    if case_ids is not None:
        filters.append(CheckinScheduleRow.case_id.in_(case_ids))
    if reminded_id is not None:
        filters.append(CheckinScheduleRow.reminded_id == reminded_id)
    if filters:
        query = query.where(or_(*filters))
    query = query.order_by(CheckinScheduleRow.next_due_at, CheckinScheduleRow.id)
    return [_schedule(r) for r in await conn.execute(query)]


async def update_schedule(
    conn: AsyncConnection,
    *,
    schedule_id: str,
    now: datetime,
    expected_status: Sequence[str] | None = None,
    expected_next_due: datetime | None = None,
    **values: Any,
) -> bool:
    """Compare-and-set update; True when the row was in the expected state and changed."""
    allowed = {"status", "next_due_at"}
    if not set(values) <= allowed:
        raise ValueError(f"schedule fields not writable here: {sorted(set(values) - allowed)}")
    query = update(CheckinScheduleRow).where(CheckinScheduleRow.id == schedule_id)
    if expected_status is not None:
        query = query.where(CheckinScheduleRow.status.in_(expected_status))
    if expected_next_due is not None:
        query = query.where(CheckinScheduleRow.next_due_at == expected_next_due)
    result = await conn.execute(query.values(updated_at=now, **values))
    return bool(result.rowcount)


async def advance_schedules(
    conn: AsyncConnection, *, rows: Sequence[tuple[str, datetime | None]], now: datetime
) -> None:
    """Set the next due time of many schedules locked by this transaction (None: done)."""
    if not rows:
        return
    table = cast(Table, CheckinScheduleRow.__table__)
    await conn.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            next_due_at=bindparam("b_next", type_=UTCDateTime()),
            status=bindparam("b_status"),
            updated_at=now,
        ),
        [
            {"b_id": sid, "b_next": nxt, "b_status": "active" if nxt is not None else "done"}
            for sid, nxt in rows
        ],
    )


async def claim_due_schedules(
    conn: AsyncConnection, *, now: datetime, limit: int
) -> list[Schedule]:
    """Active schedules whose next due time has come, locked for this transaction."""
    query = (
        select(CheckinScheduleRow)
        .where(CheckinScheduleRow.status == "active", CheckinScheduleRow.next_due_at <= now)
        .order_by(CheckinScheduleRow.next_due_at)
        .limit(limit)
    )
    return [_schedule(r) for r in await conn.execute(_lock(conn, query))]


# -- occurrences --------------------------------------------------------------------------------


async def insert_occurrence(
    conn: AsyncConnection,
    *,
    kind: str,
    due_at: datetime,
    deliver_at: datetime,
    now: datetime,
    schedule_id: str | None = None,
    case_id: str | None = None,
    role: str | None = None,
    requested_by: str | None = None,
    recipient_id: str | None = None,
    status: str = "pending",
    late: bool = False,
    escalation_chain: str = "[]",
    occurrence_id: str | None = None,
) -> str | None:
    """Insert one occurrence; None if this (schedule, due time) already exists."""
    oid = occurrence_id or new_id()
    values = {
        "id": oid,
        "kind": kind,
        "schedule_id": schedule_id,
        "case_id": case_id,
        "role": role,
        "requested_by": requested_by,
        "recipient_id": recipient_id,
        "due_at": due_at,
        "deliver_at": deliver_at,
        "status": status,
        "escalation_level": 0,
        "escalation_chain": escalation_chain,
        "next_action_at": deliver_at if status == "pending" else None,
        "late": late,
        "created_at": now,
        "updated_at": now,
    }
    result = await conn.execute(_insert_ignore(conn, CheckinOccurrenceRow.__table__), values)
    return oid if result.rowcount else None


def occurrence_values(
    *,
    kind: str,
    due_at: datetime,
    deliver_at: datetime,
    now: datetime,
    schedule_id: str | None = None,
    case_id: str | None = None,
    recipient_id: str | None = None,
    late: bool = False,
) -> dict[str, Any]:
    """A pending occurrence's row, for `insert_occurrences`."""
    return {
        "id": new_id(),
        "kind": kind,
        "schedule_id": schedule_id,
        "case_id": case_id,
        "role": None,
        "requested_by": None,
        "recipient_id": recipient_id,
        "due_at": due_at,
        "deliver_at": deliver_at,
        "status": "pending",
        "escalation_level": 0,
        "escalation_chain": "[]",
        "next_action_at": deliver_at,
        "late": late,
        "created_at": now,
        "updated_at": now,
    }


async def insert_occurrences(conn: AsyncConnection, *, rows: Sequence[dict[str, Any]]) -> int:
    """Insert many occurrences at once; an existing (schedule, due time) is left alone."""
    if not rows:
        return 0
    result = await conn.execute(_insert_ignore(conn, CheckinOccurrenceRow.__table__), list(rows))
    return max(0, int(result.rowcount))


async def get_occurrence(conn: AsyncConnection, *, occurrence_id: str) -> Occurrence | None:
    row = (
        await conn.execute(
            select(CheckinOccurrenceRow).where(CheckinOccurrenceRow.id == occurrence_id)
        )
    ).first()
    return _occurrence(row) if row else None


async def list_occurrences(
    conn: AsyncConnection,
    *,
    case_ids: Sequence[str] | None = None,
    recipient_id: str | None = None,
    statuses: Sequence[str] = OPEN_OCCURRENCE,
    limit: int = 50,
) -> list[Occurrence]:
    query = select(CheckinOccurrenceRow).where(CheckinOccurrenceRow.status.in_(statuses))
    filters: list[ColumnElement[bool]] = []
    if case_ids is not None:
        filters.append(CheckinOccurrenceRow.case_id.in_(case_ids))
    if recipient_id is not None:
        filters.append(CheckinOccurrenceRow.recipient_id == recipient_id)
    if filters:
        query = query.where(or_(*filters))
    query = query.order_by(CheckinOccurrenceRow.deliver_at, CheckinOccurrenceRow.id).limit(limit)
    return [_occurrence(r) for r in await conn.execute(query)]


async def claim_due_occurrences(
    conn: AsyncConnection, *, now: datetime, limit: int
) -> list[Occurrence]:
    """Open occurrences whose next action (delivery or escalation step) is due, locked."""
    query = (
        select(CheckinOccurrenceRow)
        .where(
            CheckinOccurrenceRow.status.in_(OPEN_OCCURRENCE),
            CheckinOccurrenceRow.next_action_at <= now,
        )
        .order_by(CheckinOccurrenceRow.next_action_at)
        .limit(limit)
    )
    return [_occurrence(r) for r in await conn.execute(_lock(conn, query))]


async def record_steps(
    conn: AsyncConnection, *, rows: Sequence[dict[str, Any]], now: datetime
) -> None:
    """Write many escalation steps at once, on occurrences locked by this transaction. Each row:
    id, status, escalation_level, escalation_chain, next_action_at."""
    if not rows:
        return
    table = cast(Table, CheckinOccurrenceRow.__table__)
    await conn.execute(
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            escalation_level=bindparam("b_level"),
            escalation_chain=bindparam("b_chain"),
            next_action_at=bindparam("b_next", type_=UTCDateTime()),
            updated_at=now,
        ),
        [
            {
                "b_id": r["id"],
                "b_status": r["status"],
                "b_level": r["escalation_level"],
                "b_chain": r["escalation_chain"],
                "b_next": r["next_action_at"],
            }
            for r in rows
        ],
    )


async def update_occurrence(
    conn: AsyncConnection,
    *,
    occurrence_id: str,
    now: datetime,
    expected_status: Sequence[str],
    expected_level: int | None = None,
    **values: Any,
) -> bool:
    """Compare-and-set: change the occurrence only if it is still in an expected state."""
    allowed = {
        "status",
        "escalation_level",
        "escalation_chain",
        "next_action_at",
        "acknowledged_at",
        "acknowledged_by",
        "recipient_id",
    }
    if not set(values) <= allowed:
        raise ValueError(f"occurrence fields not writable here: {sorted(set(values) - allowed)}")
    query = update(CheckinOccurrenceRow).where(
        CheckinOccurrenceRow.id == occurrence_id,
        CheckinOccurrenceRow.status.in_(expected_status),
    )
    if expected_level is not None:
        query = query.where(CheckinOccurrenceRow.escalation_level == expected_level)
    result = await conn.execute(query.values(updated_at=now, **values))
    return bool(result.rowcount)


# -- outbox -------------------------------------------------------------------------------------


async def enqueue(
    conn: AsyncConnection,
    *,
    idempotency_key: str,
    practitioner_id: str,
    kind: str,
    payload_enc: bytes,
    now: datetime,
    outbox_id: str,
    occurrence_id: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue one message; False if a message with this idempotency key already exists."""
    values = outbox_values(
        idempotency_key=idempotency_key,
        practitioner_id=practitioner_id,
        kind=kind,
        payload_enc=payload_enc,
        now=now,
        outbox_id=outbox_id,
        occurrence_id=occurrence_id,
        not_before=not_before,
    )
    result = await conn.execute(_insert_ignore(conn, OutboxRow.__table__), values)
    return bool(result.rowcount)


def outbox_values(
    *,
    idempotency_key: str,
    practitioner_id: str,
    kind: str,
    payload_enc: bytes,
    now: datetime,
    outbox_id: str,
    occurrence_id: str | None = None,
    not_before: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": outbox_id,
        "idempotency_key": idempotency_key,
        "practitioner_id": practitioner_id,
        "channel": None,
        "kind": kind,
        "payload_enc": payload_enc,
        "occurrence_id": occurrence_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


async def enqueue_many(conn: AsyncConnection, *, rows: Sequence[dict[str, Any]]) -> None:
    """Queue many messages at once (rows as `enqueue` builds them); existing keys are kept."""
    if rows:
        await conn.execute(_insert_ignore(conn, OutboxRow.__table__), list(rows))


async def claim_outbox(
    conn: AsyncConnection, *, now: datetime, owner: str, lease: timedelta, limit: int
) -> list[OutboxItem]:
    """Take up to `limit` messages to send: pending and due, or `sending` under an expired
    lease (their sender died mid-send: they are sent again with the same idempotency key)."""
    claimable = and_(
        OutboxRow.next_attempt_at <= now,
        or_(
            OutboxRow.status == "pending",
            and_(OutboxRow.status == "sending", OutboxRow.lease_until < now),
        ),
    )
    query = select(OutboxRow.id).where(claimable).order_by(OutboxRow.next_attempt_at).limit(limit)
    ids = [r.id for r in await conn.execute(_lock(conn, query))]
    if not ids:
        return []
    await conn.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids), claimable)
        .values(
            status="sending",
            lease_owner=owner,
            lease_until=now + lease,
            attempts=OutboxRow.attempts + 1,
        )
    )
    rows = await conn.execute(
        select(OutboxRow).where(
            OutboxRow.id.in_(ids),
            OutboxRow.status == "sending",
            OutboxRow.lease_owner == owner,
        )
    )
    return [_outbox(r) for r in rows]


async def finish_outbox(
    conn: AsyncConnection,
    *,
    outbox_id: str,
    owner: str,
    status: str,
    now: datetime,
    channel: str | None = None,
    retry_at: datetime | None = None,
    error: str | None = None,
) -> bool:
    """Record the outcome of a send we hold the lease for: sent | unreachable | failed (final)
    or back to pending for a retry at `retry_at`."""
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "last_error": error}
    if retry_at is not None:
        values.update(status="pending", next_attempt_at=retry_at)
    else:
        values.update(status=status)
    if status == "sent":
        values.update(sent_at=now, channel=channel)
    result = await conn.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == outbox_id,
            OutboxRow.status == "sending",
            OutboxRow.lease_owner == owner,
        )
        .values(**values)
    )
    return bool(result.rowcount)


async def pending_message(
    conn: AsyncConnection, *, practitioner_id: str, kind: str
) -> OutboxItem | None:
    """A message of this kind still waiting to be sent to the practitioner (to merge into)."""
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.practitioner_id == practitioner_id,
            OutboxRow.kind == kind,
            OutboxRow.status == "pending",
        )
        .order_by(OutboxRow.created_at)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return _outbox(row) if row else None


async def replace_payload(conn: AsyncConnection, *, outbox_id: str, payload_enc: bytes) -> bool:
    """Change a message that is still pending (nobody has claimed it yet)."""
    result = await conn.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending")
        .values(payload_enc=payload_enc)
    )
    return bool(result.rowcount)


async def next_wakeup(conn: AsyncConnection) -> datetime | None:
    """The earliest instant at which the dispatcher has something to do (for the timer)."""
    candidates = [
        await conn.scalar(
            select(func.min(CheckinScheduleRow.next_due_at)).where(
                CheckinScheduleRow.status == "active"
            )
        ),
        await conn.scalar(
            select(func.min(CheckinOccurrenceRow.next_action_at)).where(
                CheckinOccurrenceRow.status.in_(OPEN_OCCURRENCE)
            )
        ),
        await conn.scalar(
            select(func.min(OutboxRow.next_attempt_at)).where(OutboxRow.status == "pending")
        ),
        await conn.scalar(
            select(func.min(OutboxRow.lease_until)).where(OutboxRow.status == "sending")
        ),
    ]
    found = [_aware(c) for c in candidates if c is not None]
    return min(found) if found else None


def _aware(value: Any) -> datetime:
    """func.min() bypasses the column type on SQLite: normalise to an aware UTC datetime."""
    from datetime import UTC

    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
