"""Check-in storage: schedules and their occurrences (claims under row locks, compare-and-set
updates, idempotent inserts on (schedule, due time))."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.checkins_records import (
    OPEN_OCCURRENCE,
    Occurrence,
    Schedule,
    insert_ignore,
    lock_rows,
    occurrence_of,
    rule_columns,
    schedule_of,
)
from storage.models import (
    CheckinOccurrenceRow,
    CheckinScheduleRow,
    new_id,
)
from storage.recurrence import Recurrence
from storage.types import UTCDateTime

__all__ = [
    "advance_schedules",
    "claim_due_occurrences",
    "claim_due_schedules",
    "get_occurrence",
    "get_schedule",
    "insert_occurrence",
    "insert_occurrences",
    "insert_schedule",
    "list_occurrences",
    "list_schedules",
    "occurrence_values",
    "record_steps",
    "update_occurrence",
    "update_schedule",
]

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
    return schedule_of(row) if row else None


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
    return [schedule_of(r) for r in await conn.execute(query)]


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
    return [schedule_of(r) for r in await conn.execute(lock_rows(conn, query))]


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
    result = await conn.execute(insert_ignore(conn, CheckinOccurrenceRow.__table__), values)
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
    result = await conn.execute(insert_ignore(conn, CheckinOccurrenceRow.__table__), list(rows))
    return max(0, int(result.rowcount))


async def get_occurrence(conn: AsyncConnection, *, occurrence_id: str) -> Occurrence | None:
    row = (
        await conn.execute(
            select(CheckinOccurrenceRow).where(CheckinOccurrenceRow.id == occurrence_id)
        )
    ).first()
    return occurrence_of(row) if row else None


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
    return [occurrence_of(r) for r in await conn.execute(query)]


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
    return [occurrence_of(r) for r in await conn.execute(lock_rows(conn, query))]


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
