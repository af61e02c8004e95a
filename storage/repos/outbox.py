"""The outbox (`outbox`): messages to send a practitioner, `tx.outbox`.

pending -> sending -> sent | unreachable | failed; leases let a process take over the rows of a
process that died mid-send; `next_wakeup` is the next instant the dispatcher has work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.checkins_records import (
    OPEN_OCCURRENCE,
    OutboxItem,
    insert_ignore,
    lock_rows,
    outbox_of,
)
from storage.models import (
    CheckinOccurrenceRow,
    CheckinScheduleRow,
    OutboxRow,
)
from storage.statuses import OUTBOX_TRANSITIONS, transition

__all__ = ["Outbox"]


class Outbox:
    """Messages waiting to be sent to a practitioner, with their leases."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def enqueue(
        self,
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
        values = self.values(
            idempotency_key=idempotency_key,
            practitioner_id=practitioner_id,
            kind=kind,
            payload_enc=payload_enc,
            now=now,
            outbox_id=outbox_id,
            occurrence_id=occurrence_id,
            not_before=not_before,
        )
        result = await self._conn.execute(insert_ignore(self._conn, OutboxRow.__table__), values)
        return bool(result.rowcount)

    @staticmethod
    def values(
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
            "failures": 0,
            "next_attempt_at": not_before or now,
            "created_at": now,
        }

    async def enqueue_many(self, *, rows: Sequence[dict[str, Any]]) -> None:
        """Queue many messages at once (rows as `enqueue` builds them); existing keys are kept."""
        if rows:
            await self._conn.execute(insert_ignore(self._conn, OutboxRow.__table__), list(rows))

    async def claim(
        self, *, now: datetime, owner: str, lease: timedelta, limit: int
    ) -> list[OutboxItem]:
        """Take up to `limit` messages to send: pending and due, or `sending` under an expired
        lease (their sender died mid-send: they are sent again with the same idempotency key).
        `attempts` counts claims (for the record); only `finish_outbox(failure=True)` counts a
        failure."""
        claimable = and_(
            OutboxRow.next_attempt_at <= now,
            or_(
                OutboxRow.status == "pending",
                and_(OutboxRow.status == "sending", OutboxRow.lease_until < now),
            ),
        )
        query = (
            select(OutboxRow.id).where(claimable).order_by(OutboxRow.next_attempt_at).limit(limit)
        )
        ids = [r.id for r in await self._conn.execute(lock_rows(self._conn, query))]
        if not ids:
            return []
        await self._conn.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), claimable)
            .values(
                status="sending",
                lease_owner=owner,
                lease_until=now + lease,
                attempts=OutboxRow.attempts + 1,
            )
        )
        rows = await self._conn.execute(
            select(OutboxRow).where(
                OutboxRow.id.in_(ids),
                OutboxRow.status == "sending",
                OutboxRow.lease_owner == owner,
            )
        )
        return [outbox_of(r) for r in rows]

    async def finish(
        self,
        *,
        outbox_id: str,
        owner: str,
        status: str,
        now: datetime,
        channel: str | None = None,
        retry_at: datetime | None = None,
        error: str | None = None,
        failure: bool = False,
    ) -> bool:
        """Record the outcome of a send we hold the lease for: sent | unreachable | failed (final)
        or back to pending for a retry at `retry_at`. `failure`: the send really failed (counted in
        `failures`; a claim cut short by a crash never reaches here)."""
        transition(OUTBOX_TRANSITIONS, "sending", "pending" if retry_at is not None else status)
        values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "last_error": error}
        if failure:
            values["failures"] = OutboxRow.failures + 1
        if retry_at is not None:
            values.update(status="pending", next_attempt_at=retry_at)
        else:
            values.update(status=status)
        if status == "sent":
            values.update(sent_at=now, channel=channel)
        result = await self._conn.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == outbox_id,
                OutboxRow.status == "sending",
                OutboxRow.lease_owner == owner,
            )
            .values(**values)
        )
        return bool(result.rowcount)

    async def pending_message(self, *, practitioner_id: str, kind: str) -> OutboxItem | None:
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
        if self._conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await self._conn.execute(query)).first()
        return outbox_of(row) if row else None

    async def replace_payload(self, *, outbox_id: str, payload_enc: bytes) -> bool:
        """Change a message that is still pending (nobody has claimed it yet)."""
        result = await self._conn.execute(
            update(OutboxRow)
            .where(OutboxRow.id == outbox_id, OutboxRow.status == "pending")
            .values(payload_enc=payload_enc)
        )
        return bool(result.rowcount)

    async def next_wakeup(self) -> datetime | None:
        """The earliest instant at which the dispatcher has something to do (for the timer)."""
        candidates = [
            await self._conn.scalar(
                select(func.min(CheckinScheduleRow.next_due_at)).where(
                    CheckinScheduleRow.status == "active"
                )
            ),
            await self._conn.scalar(
                select(func.min(CheckinOccurrenceRow.next_action_at)).where(
                    CheckinOccurrenceRow.status.in_(OPEN_OCCURRENCE)
                )
            ),
            await self._conn.scalar(
                select(func.min(OutboxRow.next_attempt_at)).where(OutboxRow.status == "pending")
            ),
            await self._conn.scalar(
                select(func.min(OutboxRow.lease_until)).where(OutboxRow.status == "sending")
            ),
        ]
        found = [self._aware(c) for c in candidates if c is not None]
        return min(found) if found else None

    @staticmethod
    def _aware(value: Any) -> datetime:
        """func.min() bypasses the column type on SQLite: normalise to an aware UTC datetime."""
        from datetime import UTC

        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
