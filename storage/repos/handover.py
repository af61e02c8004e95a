"""A case's release date, its handover plan steps and its continuity checklist ticks:
`tx.handover`. Keyword arguments in, frozen values out; step and item ids come from the
content (content/lifecycle/handover.yaml), never free text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import CaseReleaseRow, HandoverStepRow, HandoverTickRow
from storage.upsert import insert_replacing

__all__ = ["Handover", "HandoverStep", "HandoverTick", "Release"]


@dataclass(frozen=True, slots=True)
class Release:
    case_id: str
    release_on: date
    set_by: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class HandoverStep:
    """One check-in of the plan: `scheduled` (its schedule, a one-off for the owner, may since
    have fired) or `skipped` (its day had passed when the plan was set)."""

    case_id: str
    step_id: str
    schedule_id: str | None
    due_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class HandoverTick:
    case_id: str
    item_id: str
    done: bool
    changed_by: str | None
    changed_at: datetime


class Handover:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def release(self, *, case_id: str) -> Release | None:
        row = (
            await self._conn.execute(
                select(CaseReleaseRow).where(CaseReleaseRow.case_id == case_id)
            )
        ).first()
        return Release(row.case_id, row.release_on, row.set_by, row.updated_at) if row else None

    async def set_release(
        self, *, case_id: str, release_on: date, set_by: str | None, now: datetime
    ) -> None:
        values = {"case_id": case_id, "release_on": release_on, "set_by": set_by}
        values["updated_at"] = now
        await self._conn.execute(
            insert_replacing(self._conn, CaseReleaseRow, values, conflict=["case_id"])
        )

    async def steps(self, *, case_id: str) -> list[HandoverStep]:
        rows = await self._conn.execute(
            select(HandoverStepRow)
            .where(HandoverStepRow.case_id == case_id)
            .order_by(HandoverStepRow.due_at, HandoverStepRow.step_id)
        )
        return [_step(r) for r in rows]

    async def step_of_schedule(self, *, schedule_id: str) -> HandoverStep | None:
        row = (
            await self._conn.execute(
                select(HandoverStepRow).where(HandoverStepRow.schedule_id == schedule_id)
            )
        ).first()
        return _step(row) if row else None

    async def put_step(
        self,
        *,
        case_id: str,
        step_id: str,
        schedule_id: str | None,
        due_at: datetime,
        status: str,
    ) -> None:
        values = {
            "case_id": case_id,
            "step_id": step_id,
            "schedule_id": schedule_id,
            "due_at": due_at,
            "status": status,
        }
        await self._conn.execute(
            insert_replacing(self._conn, HandoverStepRow, values, conflict=["case_id", "step_id"])
        )

    async def ticks(self, *, case_id: str) -> dict[str, HandoverTick]:
        rows = await self._conn.execute(
            select(HandoverTickRow).where(HandoverTickRow.case_id == case_id)
        )
        return {
            r.item_id: HandoverTick(r.case_id, r.item_id, r.done, r.changed_by, r.changed_at)
            for r in rows
        }

    async def set_tick(
        self, *, case_id: str, item_id: str, done: bool, changed_by: str | None, now: datetime
    ) -> None:
        values = {
            "case_id": case_id,
            "item_id": item_id,
            "done": done,
            "changed_by": changed_by,
            "changed_at": now,
        }
        await self._conn.execute(
            insert_replacing(self._conn, HandoverTickRow, values, conflict=["case_id", "item_id"])
        )


def _step(row: Any) -> HandoverStep:
    return HandoverStep(row.case_id, row.step_id, row.schedule_id, row.due_at, row.status)
