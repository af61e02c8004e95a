"""Check-in schedules (`checkin_schedules`): `tx.schedules`.

A schedule reminds a practitioner of a case by a recurrence rule (`storage.recurrence`); the
dispatcher claims the due ones under row locks and advances them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
    Schedule,
    lock_rows,
    rule_columns,
    schedule_of,
)
from storage.models import (
    CheckinScheduleRow,
    new_id,
)
from storage.recurrence import Recurrence
from storage.statuses import SCHEDULE_TRANSITIONS, transition
from storage.types import UTCDateTime

__all__ = ["Schedules"]


class Schedules:
    """Check-in schedules: add, read, update, and claim the due ones."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
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
        after_close: bool = False,
    ) -> str:
        sid = schedule_id or new_id()
        cols = rule_columns(rule)
        cols.setdefault("time_zone", "UTC")
        await self._conn.execute(
            insert(CheckinScheduleRow).values(
                id=sid,
                case_id=case_id,
                reminded_id=reminded_id,
                escalate_to_id=escalate_to_id,
                grace_seconds=int(grace.total_seconds()),
                urgent=urgent,
                label_enc=label_enc,
                after_close=after_close,
                status="active" if next_due_at is not None else "done",
                next_due_at=next_due_at,
                created_by=created_by,
                created_at=now,
                updated_at=now,
                **cols,
            )
        )
        return sid

    async def get(self, *, schedule_id: str) -> Schedule | None:
        row = (
            await self._conn.execute(
                select(CheckinScheduleRow).where(CheckinScheduleRow.id == schedule_id)
            )
        ).first()
        return schedule_of(row) if row else None

    async def find(
        self,
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
        return [schedule_of(r) for r in await self._conn.execute(query)]

    async def update(
        self,
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
        if expected_status is not None and "status" in values:
            transition(SCHEDULE_TRANSITIONS, expected_status, values["status"])
        query = update(CheckinScheduleRow).where(CheckinScheduleRow.id == schedule_id)
        if expected_status is not None:
            query = query.where(CheckinScheduleRow.status.in_(expected_status))
        if expected_next_due is not None:
            query = query.where(CheckinScheduleRow.next_due_at == expected_next_due)
        result = await self._conn.execute(query.values(updated_at=now, **values))
        return bool(result.rowcount)

    async def revise(
        self,
        *,
        schedule_id: str,
        rule: Recurrence,
        reminded_id: str,
        next_due_at: datetime | None,
        now: datetime,
    ) -> None:
        """A new rule and person reminded for a schedule (a review check-in following its
        team's review day and its case's owner); its status stays as it is."""
        cols = rule_columns(rule)
        cols.setdefault("time_zone", "UTC")
        await self._conn.execute(
            update(CheckinScheduleRow)
            .where(CheckinScheduleRow.id == schedule_id)
            .values(reminded_id=reminded_id, next_due_at=next_due_at, updated_at=now, **cols)
        )

    async def advance(self, *, rows: Sequence[tuple[str, datetime | None]], now: datetime) -> None:
        """Set the next due time of many schedules locked by this transaction (None: done)."""
        if not rows:
            return
        table = cast(Table, CheckinScheduleRow.__table__)
        await self._conn.execute(
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

    async def claim_due(self, *, now: datetime, limit: int) -> list[Schedule]:
        """Active schedules whose next due time has come, locked for this transaction."""
        query = (
            select(CheckinScheduleRow)
            .where(CheckinScheduleRow.status == "active", CheckinScheduleRow.next_due_at <= now)
            .order_by(CheckinScheduleRow.next_due_at)
            .limit(limit)
        )
        return [schedule_of(r) for r in await self._conn.execute(lock_rows(self._conn, query))]

    async def by_ids(self, *, ids: Iterable[str]) -> dict[str, Schedule]:
        wanted = sorted(set(ids))
        out: dict[str, Schedule] = {}
        for start in range(0, len(wanted), 500):
            rows = await self._conn.execute(
                select(CheckinScheduleRow).where(
                    CheckinScheduleRow.id.in_(wanted[start : start + 500])
                )
            )
            out.update({r.id: schedule_of(r) for r in rows})
        return out
