"""Check-in storage: the frozen data objects, row mappers and statement helpers shared by the
check-in repositories (`storage.checkins_repo` re-exports everything)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.recurrence import EveryNDays, Monthly, OneOff, Recurrence, Weekly, zone

__all__ = [
    "OPEN_OCCURRENCE",
    "CaseRef",
    "Identity",
    "Occurrence",
    "OutboxItem",
    "Schedule",
    "case_of",
    "insert_ignore",
    "lock_rows",
    "occurrence_of",
    "outbox_of",
    "rule_columns",
    "rule_of",
    "schedule_of",
]

# Occurrence statuses: pending (waits for deliver_at) -> waiting (reminded, escalation running)
# -> acknowledged | exhausted (the chain ran out) ; snoozed (replaced by a later occurrence),
# cancelled (its schedule was cancelled or paused before delivery), summarised (too late: in a
# downtime summary instead).
OPEN_OCCURRENCE = ("pending", "waiting")


# -- data objects -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseRef:
    id: str
    code: str
    team_id: str
    owner_id: str
    status: str


@dataclass(frozen=True, slots=True)
class Identity:
    channel: str
    user_id: str
    pinned_key: str | None = None  # the master key pinned at enrolment (Matrix)
    seen_key: str | None = None  # a different key seen since, waiting for the coordinator


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    case_id: str
    rule: Recurrence
    time_zone: str
    reminded_id: str
    escalate_to_id: str | None
    grace: timedelta
    urgent: bool
    status: str  # active | paused | cancelled | done
    next_due_at: datetime | None
    label_enc: bytes | None
    created_by: str | None
    #: runs after its case is closed: the post-exit follow-up (issue 16)
    after_close: bool = False

    def runs_on(self, case_status: str) -> bool:
        """Whether the schedule still reminds on a case in this status: an open case, or a
        closed one when it is the post-exit follow-up."""
        return case_status == "open" or (self.after_close and case_status == "closed")


@dataclass(frozen=True, slots=True)
class Occurrence:
    id: str
    kind: str  # checkin | page
    schedule_id: str | None
    case_id: str | None
    role: str | None
    requested_by: str | None
    recipient_id: str | None
    due_at: datetime
    deliver_at: datetime
    status: str
    escalation_level: int
    escalation_chain: str
    next_action_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    late: bool


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: str
    idempotency_key: str
    practitioner_id: str | None
    kind: str
    payload_enc: bytes
    occurrence_id: str | None
    status: str
    attempts: int
    failures: int = 0
    created_at: datetime | None = None


# -- helpers ------------------------------------------------------------------------------------


def _hhmm(text: str | None) -> time:
    if not text:
        raise ValueError("a recurring schedule needs at_time")
    hh, mm = text.split(":")
    return time(int(hh), int(mm))


def rule_of(row: Any) -> Recurrence:
    """The recurrence rule of a `checkin_schedules` row."""
    if row.kind == "weekly":
        return Weekly(int(row.weekday), _hhmm(row.at_time), row.time_zone)
    if row.kind == "every_n_days":
        start: date = row.starts_on.astimezone(zone(row.time_zone)).date()
        return EveryNDays(int(row.every_days), _hhmm(row.at_time), row.time_zone, start)
    if row.kind == "monthly":
        return Monthly(int(row.day_of_month), _hhmm(row.at_time), row.time_zone)
    if row.kind == "once":
        return OneOff(row.due_at)
    raise ValueError(f"unknown schedule kind {row.kind!r} in schedule {row.id}")


def rule_columns(rule: Recurrence) -> dict[str, Any]:
    """The `checkin_schedules` columns that store `rule`."""
    cols: dict[str, Any] = {
        "weekday": None,
        "day_of_month": None,
        "every_days": None,
        "at_time": None,
        "starts_on": None,
        "due_at": None,
    }
    if isinstance(rule, Weekly):
        cols.update(kind="weekly", weekday=rule.weekday, at_time=f"{rule.at:%H:%M}")
        cols["time_zone"] = rule.time_zone
    elif isinstance(rule, EveryNDays):
        from storage.recurrence import local_to_utc

        cols.update(kind="every_n_days", every_days=rule.days, at_time=f"{rule.at:%H:%M}")
        cols["starts_on"] = local_to_utc(rule.start, rule.at, zone(rule.time_zone))
        cols["time_zone"] = rule.time_zone
    elif isinstance(rule, Monthly):
        cols.update(kind="monthly", day_of_month=rule.day, at_time=f"{rule.at:%H:%M}")
        cols["time_zone"] = rule.time_zone
    else:
        cols.update(kind="once", due_at=rule.at_utc)
    return cols


def schedule_of(row: Any) -> Schedule:
    return Schedule(
        id=row.id,
        case_id=row.case_id,
        rule=rule_of(row),
        time_zone=row.time_zone,
        reminded_id=row.reminded_id,
        escalate_to_id=row.escalate_to_id,
        grace=timedelta(seconds=row.grace_seconds),
        urgent=bool(row.urgent),
        status=row.status,
        next_due_at=row.next_due_at,
        label_enc=row.label_enc,
        created_by=row.created_by,
        after_close=bool(row.after_close),
    )


def occurrence_of(row: Any) -> Occurrence:
    return Occurrence(
        id=row.id,
        kind=row.kind,
        schedule_id=row.schedule_id,
        case_id=row.case_id,
        role=row.role,
        requested_by=row.requested_by,
        recipient_id=row.recipient_id,
        due_at=row.due_at,
        deliver_at=row.deliver_at,
        status=row.status,
        escalation_level=row.escalation_level,
        escalation_chain=row.escalation_chain,
        next_action_at=row.next_action_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        late=bool(row.late),
    )


def outbox_of(row: Any) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        idempotency_key=row.idempotency_key,
        practitioner_id=row.practitioner_id,
        kind=row.kind,
        payload_enc=row.payload_enc,
        occurrence_id=row.occurrence_id,
        status=row.status,
        attempts=row.attempts,
        failures=row.failures,
        created_at=row.created_at,
    )


def lock_rows(conn: AsyncConnection, query: Select[Any]) -> Select[Any]:
    """Row locks on PostgreSQL (skip rows another process holds); SQLite: the write lock."""
    if conn.dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True)
    return query


def insert_ignore(conn: AsyncConnection, table: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING (execute with one dict, or a list: executemany)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def case_of(row: Any) -> CaseRef:
    return CaseRef(row.id, row.code, row.team_id, row.owner_id, row.status)
