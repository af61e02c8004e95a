"""What the monthly evaluation report counts, read per team between two instants: check-ins,
pages and their acknowledgement times, notes by tag. Counts and durations only: no case code,
no person, no text leaves this module."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import CaseRow, CheckinOccurrenceRow, NoteRow, PractitionerRow
from storage.repos.notes import decode_tags

__all__ = ["CheckinTally", "EvaluationReads", "PageTally"]

_O = CheckinOccurrenceRow


@dataclass(slots=True)
class CheckinTally:
    due: int = 0
    done: int = 0  # acknowledged
    missed: int = 0  # the escalation chain ran out unacknowledged
    escalated: int = 0  # someone else was alerted (escalation level > 0)


@dataclass(slots=True)
class PageTally:
    sent: int = 0
    #: seconds from the page to its acknowledgement, one per acknowledged page
    ack_seconds: list[float] = field(default_factory=list)


class EvaluationReads:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def checkins(self, *, since: datetime, until: datetime) -> dict[str, CheckinTally]:
        """Per team id: check-ins due in [since, until)."""
        level = (_O.escalation_level > 0).label("escalated")
        query = (
            select(CaseRow.team_id, _O.status, level, func.count())
            .join(CaseRow, CaseRow.id == _O.case_id)
            .where(_O.kind == "checkin", _O.due_at >= since, _O.due_at < until)
            .group_by(CaseRow.team_id, _O.status, level)
        )
        tallies: dict[str, CheckinTally] = {}
        for team_id, status, escalated, count in await self._conn.execute(query):
            tally = tallies.setdefault(team_id, CheckinTally())
            tally.due += count
            tally.done += count if status == "acknowledged" else 0
            tally.missed += count if status == "exhausted" else 0
            tally.escalated += count if escalated else 0
        return tallies

    async def pages(self, *, since: datetime, until: datetime) -> dict[str, PageTally]:
        """Per team id (of who asked): pages of a human sent in [since, until), and how long
        each acknowledged one waited."""
        query = (
            select(PractitionerRow.team_id, _O.created_at, _O.acknowledged_at)
            .join(PractitionerRow, PractitionerRow.id == _O.requested_by)
            .where(_O.kind == "page", _O.created_at >= since, _O.created_at < until)
        )
        tallies: dict[str, PageTally] = {}
        for team_id, created_at, acknowledged_at in await self._conn.execute(query):
            tally = tallies.setdefault(team_id, PageTally())
            tally.sent += 1
            if acknowledged_at is not None:
                tally.ack_seconds.append((acknowledged_at - created_at).total_seconds())
        return tallies

    async def note_tags(self, *, since: datetime, until: datetime) -> dict[str, Counter[str]]:
        """Per team id: notes written in [since, until) per tag ("" = no tag); amendments
        are not new notes. The bodies are never read."""
        query = (
            select(CaseRow.team_id, NoteRow.tags)
            .join(CaseRow, CaseRow.id == NoteRow.case_id)
            .where(
                NoteRow.created_at >= since,
                NoteRow.created_at < until,
                NoteRow.amends_id.is_(None),
            )
        )
        counts: dict[str, Counter[str]] = {}
        for team_id, tags in await self._conn.execute(query):
            counts.setdefault(team_id, Counter()).update(decode_tags(tags) or ("",))
        return counts
