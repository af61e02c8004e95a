"""The delivery list: every outgoing check-in message (reminder, escalation, page, alert) with a
status an operator can read, and the pages still waiting for an acknowledgement.

Statuses (derived from the outbox row and its check-in or page):

- ``queued``: not sent yet (``failures`` > 0: retrying after a failed send, ``reason`` says why)
- ``sent``; ``late`` (sent, for a check-in that fell due while Relais was down);
  ``acknowledged`` (sent, and its check-in or page was acknowledged)
- ``failed``: given up after its retries (``reason``); ``unreachable``: the person cannot be
  reached on any chat
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import CaseRow, CheckinOccurrenceRow, OutboxRow, PractitionerRow

__all__ = ["Delivery", "WaitingPage", "list_deliveries", "waiting_pages"]


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    created_at: datetime
    kind: str
    recipient_id: str | None
    case_code: str | None
    channel: str | None
    status: str
    reason: str | None
    failures: int
    sent_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("created_at", "sent_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


@dataclass(frozen=True, slots=True)
class WaitingPage:
    occurrence_id: str
    case_code: str | None
    requested_by: str | None
    paged_at: datetime
    level: int


def _status(outbox_status: str, occ_status: str | None, late: bool | None) -> str:
    if outbox_status in ("pending", "sending"):
        return "queued"
    if outbox_status == "sent":
        if occ_status == "acknowledged":
            return "acknowledged"
        return "late" if late else "sent"
    return outbox_status


async def list_deliveries(
    conn: AsyncConnection,
    *,
    since: datetime,
    failed_only: bool = False,
    team_id: str | None = None,
    limit: int = 1000,
) -> list[Delivery]:
    """Messages queued since `since`, newest first. `failed_only`: given up, or queued after a
    failed send. `team_id`: only messages to that team's practitioners."""
    query = (
        select(
            OutboxRow.id,
            OutboxRow.created_at,
            OutboxRow.kind,
            OutboxRow.practitioner_id,
            OutboxRow.channel,
            OutboxRow.status,
            OutboxRow.last_error,
            OutboxRow.failures,
            OutboxRow.sent_at,
            CheckinOccurrenceRow.status.label("occ_status"),
            CheckinOccurrenceRow.late,
            CaseRow.code,
        )
        .outerjoin(CheckinOccurrenceRow, CheckinOccurrenceRow.id == OutboxRow.occurrence_id)
        .outerjoin(CaseRow, CaseRow.id == CheckinOccurrenceRow.case_id)
        .where(OutboxRow.created_at >= since)
        .order_by(OutboxRow.created_at.desc(), OutboxRow.id)
        .limit(limit)
    )
    if failed_only:
        query = query.where(
            or_(
                OutboxRow.status.in_(("failed", "unreachable")),
                and_(OutboxRow.status.in_(("pending", "sending")), OutboxRow.failures > 0),
            )
        )
    if team_id is not None:
        query = query.join(PractitionerRow, PractitionerRow.id == OutboxRow.practitioner_id).where(
            PractitionerRow.team_id == team_id
        )
    return [
        Delivery(
            id=r.id,
            created_at=r.created_at,
            kind=r.kind,
            recipient_id=r.practitioner_id,
            case_code=r.code,
            channel=r.channel,
            status=_status(r.status, r.occ_status, r.late),
            reason=r.last_error,
            failures=r.failures,
            sent_at=r.sent_at,
        )
        for r in await conn.execute(query)
    ]


async def waiting_pages(conn: AsyncConnection, *, team_id: str) -> list[WaitingPage]:
    """Pages of the team not acknowledged yet (still escalating, or run out), oldest first."""
    query = (
        select(
            CheckinOccurrenceRow.id,
            CheckinOccurrenceRow.requested_by,
            CheckinOccurrenceRow.created_at,
            CheckinOccurrenceRow.escalation_level,
            CaseRow.code,
        )
        .join(PractitionerRow, PractitionerRow.id == CheckinOccurrenceRow.requested_by)
        .outerjoin(CaseRow, CaseRow.id == CheckinOccurrenceRow.case_id)
        .where(
            CheckinOccurrenceRow.kind == "page",
            CheckinOccurrenceRow.status.in_(("pending", "waiting", "exhausted")),
            PractitionerRow.team_id == team_id,
        )
        .order_by(CheckinOccurrenceRow.created_at)
    )
    return [
        WaitingPage(r.id, r.code, r.requested_by, r.created_at, r.escalation_level)
        for r in await conn.execute(query)
    ]
