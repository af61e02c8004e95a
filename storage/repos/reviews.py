"""The monthly review (`tx.reviews`): each team's review day, which schedule is a case's
review check-in (`case_reviews`), and what a case's review pack reads of one period: its
check-ins and pages. Notes and decisions are read through `tx.notes` and `tx.decisions`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.checkins_records import Occurrence, occurrence_of
from storage.models import CaseReviewRow, CaseRow, CheckinOccurrenceRow, TeamRow
from storage.upsert import insert_ignoring

__all__ = ["ReviewLink", "Reviews"]

_O = CheckinOccurrenceRow


@dataclass(frozen=True, slots=True)
class ReviewLink:
    """An open case and its review schedule (None: it has none yet)."""

    case_id: str
    case_code: str
    team_id: str
    owner_id: str
    schedule_id: str | None


class Reviews:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # -- the team's review day ----------------------------------------------------------------

    async def team_day(self, *, team_id: str) -> int | None:
        """The team's own review day (None: the configured default)."""
        row = (
            await self._conn.execute(select(TeamRow.review_day).where(TeamRow.id == team_id))
        ).first()
        return row.review_day if row else None

    async def set_team_day(self, *, team_id: str, day: int | None) -> None:
        await self._conn.execute(
            update(TeamRow).where(TeamRow.id == team_id).values(review_day=day)
        )

    # -- which schedule is the review ---------------------------------------------------------

    async def link(self, *, case_id: str, schedule_id: str, now: datetime) -> bool:
        """Make `schedule_id` the case's review check-in; False when the case has one already
        (another transaction linked one first: the caller drops its own)."""
        result = await self._conn.execute(
            insert_ignoring(self._conn, CaseReviewRow, conflict=["case_id"]),
            {"case_id": case_id, "schedule_id": schedule_id, "created_at": now},
        )
        return bool(result.rowcount)

    async def schedule_of(self, *, case_id: str) -> str | None:
        row = (
            await self._conn.execute(
                select(CaseReviewRow.schedule_id).where(CaseReviewRow.case_id == case_id)
            )
        ).first()
        return row.schedule_id if row else None

    async def open_cases(self, *, team_id: str | None = None) -> list[ReviewLink]:
        """Every open case (of one team, or all) with its review schedule, if any."""
        query = (
            select(
                CaseRow.id,
                CaseRow.code,
                CaseRow.team_id,
                CaseRow.owner_id,
                CaseReviewRow.schedule_id,
            )
            .outerjoin(CaseReviewRow, CaseReviewRow.case_id == CaseRow.id)
            .where(CaseRow.status == "open")
            .order_by(CaseRow.code)
        )
        if team_id is not None:
            query = query.where(CaseRow.team_id == team_id)
        return [ReviewLink(*row) for row in await self._conn.execute(query)]

    # -- what a review pack reads of one period -----------------------------------------------

    async def checkins(
        self, *, case_id: str, since: datetime, until: datetime
    ) -> list[Occurrence]:
        """The case's check-ins due in [since, until), oldest first."""
        return await self._occurrences("checkin", case_id, since, until)

    async def pages(self, *, case_id: str, since: datetime, until: datetime) -> list[Occurrence]:
        """The pages about the case sent in [since, until), oldest first."""
        return await self._occurrences("page", case_id, since, until)

    async def _occurrences(
        self, kind: str, case_id: str, since: datetime, until: datetime
    ) -> list[Occurrence]:
        query = (
            select(_O)
            .where(_O.kind == kind, _O.case_id == case_id, _O.due_at >= since, _O.due_at < until)
            .order_by(_O.due_at, _O.id)
        )
        return [occurrence_of(row) for row in await self._conn.execute(query)]
