"""Check-in occurrences (`checkin_occurrences`, the pages): `tx.occurrences`.

Idempotent inserts on (schedule, due time); claims under row locks; compare-and-set updates.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.checkins_records import (
    OPEN_OCCURRENCE,
    Occurrence,
    insert_ignore,
    lock_rows,
    occurrence_of,
)
from storage.models import (
    CheckinOccurrenceRow,
    new_id,
)
from storage.statuses import OCCURRENCE_TRANSITIONS, transition
from storage.types import UTCDateTime

__all__ = ["Occurrences"]


class Occurrences:
    """The occurrences (pages) of check-ins: add, read, claim the due ones, move them on."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(
        self,
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
        result = await self._conn.execute(
            insert_ignore(self._conn, CheckinOccurrenceRow.__table__), values
        )
        return oid if result.rowcount else None

    @staticmethod
    def values(
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

    async def add_many(self, *, rows: Sequence[dict[str, Any]]) -> int:
        """Insert many occurrences at once; an existing (schedule, due time) is left alone."""
        if not rows:
            return 0
        result = await self._conn.execute(
            insert_ignore(self._conn, CheckinOccurrenceRow.__table__), list(rows)
        )
        return max(0, int(result.rowcount))

    async def get(self, *, occurrence_id: str) -> Occurrence | None:
        row = (
            await self._conn.execute(
                select(CheckinOccurrenceRow).where(CheckinOccurrenceRow.id == occurrence_id)
            )
        ).first()
        return occurrence_of(row) if row else None

    async def find(
        self,
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
        query = query.order_by(CheckinOccurrenceRow.deliver_at, CheckinOccurrenceRow.id).limit(
            limit
        )
        return [occurrence_of(r) for r in await self._conn.execute(query)]

    async def claim_due(self, *, now: datetime, limit: int) -> list[Occurrence]:
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
        return [occurrence_of(r) for r in await self._conn.execute(lock_rows(self._conn, query))]

    async def record_steps(self, *, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        """Write many escalation steps at once, on occurrences locked by this transaction.
        Each row: id, status, escalation_level, escalation_chain, next_action_at."""
        if not rows:
            return
        table = cast(Table, CheckinOccurrenceRow.__table__)
        await self._conn.execute(
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

    async def update(
        self,
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
            raise ValueError(
                f"occurrence fields not writable here: {sorted(set(values) - allowed)}"
            )
        if "status" in values:
            transition(OCCURRENCE_TRANSITIONS, expected_status, values["status"])
        query = update(CheckinOccurrenceRow).where(
            CheckinOccurrenceRow.id == occurrence_id,
            CheckinOccurrenceRow.status.in_(expected_status),
        )
        if expected_level is not None:
            query = query.where(CheckinOccurrenceRow.escalation_level == expected_level)
        result = await self._conn.execute(query.values(updated_at=now, **values))
        return bool(result.rowcount)

    async def withdraw_pending(self, *, schedule_id: str, now: datetime) -> int:
        """Cancel a schedule's reminders not yet delivered (a paused, cancelled or ended
        schedule); running escalations go on, frozen. Returns how many."""
        transition(OCCURRENCE_TRANSITIONS, ("pending",), "cancelled")
        result = await self._conn.execute(
            update(CheckinOccurrenceRow)
            .where(
                CheckinOccurrenceRow.schedule_id == schedule_id,
                CheckinOccurrenceRow.status == "pending",
            )
            .values(status="cancelled", next_action_at=None, updated_at=now)
        )
        return max(0, int(result.rowcount))

    async def statuses(self, *, ids: Sequence[str]) -> dict[str, str]:
        """The status of each occurrence named (to know whether its messages are still useful)."""
        if not ids:
            return {}
        rows = await self._conn.execute(
            select(CheckinOccurrenceRow.id, CheckinOccurrenceRow.status).where(
                CheckinOccurrenceRow.id.in_(list(set(ids)))
            )
        )
        return {str(r.id): str(r.status) for r in rows}
