"""Decisions taken at a case's reviews (`tx.decisions`): numbered per case, each the note
tagged `decision` that states it, and what became of it (open, done or dropped, with an
outcome encrypted as `case_decisions|outcome|<id>`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import CaseDecisionRow, new_id
from storage.upsert import lock_key

__all__ = ["DECISION_STATUSES", "Decision", "Decisions"]

_T = CaseDecisionRow.__tablename__
#: open until settled; done (carried out) or dropped (given up), each with an outcome
DECISION_STATUSES = ("open", "done", "dropped")


@dataclass(frozen=True, slots=True)
class Decision:
    id: str
    case_id: str
    note_id: str
    number: int
    status: str  # open | done | dropped
    outcome: str  # "" while open
    settled_by: str | None
    settled_at: datetime | None
    created_at: datetime


class Decisions:
    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    async def add(self, *, case_id: str, note_id: str, now: datetime) -> int:
        """Record the note as the case's next decision; returns its number."""
        await lock_key(self._conn, f"case_decisions:{case_id}")  # numbers stay unique
        last = (
            await self._conn.execute(
                select(func.max(CaseDecisionRow.number)).where(CaseDecisionRow.case_id == case_id)
            )
        ).scalar()
        number = int(last or 0) + 1
        await self._conn.execute(
            insert(CaseDecisionRow).values(
                id=new_id(),
                case_id=case_id,
                note_id=note_id,
                number=number,
                status="open",
                created_at=now,
            )
        )
        return number

    async def settle(
        self, *, decision_id: str, status: str, outcome: str, by: str, now: datetime
    ) -> None:
        if status not in DECISION_STATUSES:
            raise ValueError(f"decision status {status!r}")
        await self._conn.execute(
            update(CaseDecisionRow)
            .where(CaseDecisionRow.id == decision_id)
            .values(
                status=status,
                outcome_enc=self._keys.encrypt(
                    outcome, table=_T, column="outcome", row_id=decision_id
                )
                if outcome
                else None,
                settled_by=by if status != "open" else None,
                settled_at=now if status != "open" else None,
            )
        )

    async def for_case(self, *, case_id: str) -> list[Decision]:
        """The case's decisions by number."""
        rows = await self._conn.execute(
            select(CaseDecisionRow)
            .where(CaseDecisionRow.case_id == case_id)
            .order_by(CaseDecisionRow.number)
        )
        return [self._decision(row) for row in rows]

    def _decision(self, r: Any) -> Decision:
        outcome = (
            self._keys.decrypt(r.outcome_enc, table=_T, column="outcome", row_id=r.id)
            if r.outcome_enc
            else ""
        )
        return Decision(
            id=r.id,
            case_id=r.case_id,
            note_id=r.note_id,
            number=r.number,
            status=r.status,
            outcome=outcome,
            settled_by=r.settled_by,
            settled_at=r.settled_at,
            created_at=r.created_at,
        )
