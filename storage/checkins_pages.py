"""Pages already running: one page per case and contact role at a time.

A dialog that pages the person on call can be run again and again in a few seconds (a
double tap, two colleagues on one crisis, a script). `running_page` finds the page still
waiting for an acknowledgement, for the same case and role (or, without a case, the same
requester and role), under a lock that makes two concurrent requests see each other: the
case's row (or the requester's, without a case) is locked FOR UPDATE on PostgreSQL; SQLite's
BEGIN IMMEDIATE already serialises writers.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.checkins_records import OPEN_OCCURRENCE, Occurrence, occurrence_of
from storage.models import CaseRow, CheckinOccurrenceRow, PractitionerRow

__all__ = ["running_page"]


async def running_page(
    conn: AsyncConnection, *, case_id: str | None, role: str, requested_by: str
) -> Occurrence | None:
    """The page for this case and role (without a case: by this requester) not yet answered."""
    if conn.dialect.name == "postgresql":
        anchor = (
            select(CaseRow.id).where(CaseRow.id == case_id)
            if case_id is not None
            else select(PractitionerRow.id).where(PractitionerRow.id == requested_by)
        )
        await conn.execute(anchor.with_for_update())
    query = select(CheckinOccurrenceRow).where(
        CheckinOccurrenceRow.kind == "page",
        CheckinOccurrenceRow.role == role,
        CheckinOccurrenceRow.status.in_(OPEN_OCCURRENCE),
    )
    if case_id is not None:
        query = query.where(CheckinOccurrenceRow.case_id == case_id)
    else:
        query = query.where(
            CheckinOccurrenceRow.case_id.is_(None),
            CheckinOccurrenceRow.requested_by == requested_by,
        )
    row = (await conn.execute(query.order_by(CheckinOccurrenceRow.created_at).limit(1))).first()
    return None if row is None else occurrence_of(row)
