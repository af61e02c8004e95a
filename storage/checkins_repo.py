"""Check-in storage: schedules, occurrences and the outbox (repositories, Core statements).

This module gathers the check-in repositories: `storage.checkins_records` (data objects),
`checkins_people` (cases, people, rota: read only), `checkins_schedules` (schedules and
occurrences) and `checkins_outbox` (the outbox).

Every function takes the caller's connection (one transaction per use case or dispatcher step)
and keyword arguments, and returns frozen data objects, never live rows.

Exactly once across processes: claims lock rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL (another process skips them instead of waiting) and then flip them with a
compare-and-set ``UPDATE ... WHERE status = <expected>``; on SQLite, where ``FOR UPDATE`` does not
exist, every transaction holds the single write lock (``BEGIN IMMEDIATE``, see `storage.db`), so
the compare-and-set is enough. Leases (`lease_owner`, `lease_until`) let a process take over the
rows of a process that died mid-send. Inserts of occurrences and outbox messages are
``ON CONFLICT DO NOTHING`` on their natural keys ((schedule, due time) and the idempotency key),
so even a duplicated step cannot create a second reminder.
"""

from __future__ import annotations

from storage.checkins_outbox import (
    claim_outbox,
    enqueue,
    enqueue_many,
    finish_outbox,
    next_wakeup,
    occurrence_statuses,
    outbox_values,
    pending_message,
    replace_payload,
)
from storage.checkins_people import (
    case_by_code,
    case_by_id,
    cases_by_ids,
    fallback_practitioner,
    identities,
    identities_for,
    oncall_practitioners,
    practitioner,
    practitioners_by_ids,
    relation_to_case,
    schedules_by_ids,
    team_coordinators,
)
from storage.checkins_records import (
    OPEN_OCCURRENCE,
    CaseRef,
    Identity,
    Occurrence,
    OutboxItem,
    PractitionerRef,
    Schedule,
    case_of,
    insert_ignore,
    lock_rows,
    occurrence_of,
    outbox_of,
    practitioner_of,
    rule_columns,
    rule_of,
    schedule_of,
)
from storage.checkins_schedules import (
    advance_schedules,
    claim_due_occurrences,
    claim_due_schedules,
    get_occurrence,
    get_schedule,
    insert_occurrence,
    insert_occurrences,
    insert_schedule,
    list_occurrences,
    list_schedules,
    occurrence_values,
    record_steps,
    update_occurrence,
    update_schedule,
)

__all__ = [
    "OPEN_OCCURRENCE",
    "CaseRef",
    "Identity",
    "Occurrence",
    "OutboxItem",
    "PractitionerRef",
    "Schedule",
    "advance_schedules",
    "case_by_code",
    "case_by_id",
    "case_of",
    "cases_by_ids",
    "claim_due_occurrences",
    "claim_due_schedules",
    "claim_outbox",
    "enqueue",
    "enqueue_many",
    "fallback_practitioner",
    "finish_outbox",
    "get_occurrence",
    "get_schedule",
    "identities",
    "identities_for",
    "insert_ignore",
    "insert_occurrence",
    "insert_occurrences",
    "insert_schedule",
    "list_occurrences",
    "list_schedules",
    "lock_rows",
    "next_wakeup",
    "occurrence_of",
    "occurrence_statuses",
    "occurrence_values",
    "oncall_practitioners",
    "outbox_of",
    "outbox_values",
    "pending_message",
    "practitioner",
    "practitioner_of",
    "practitioners_by_ids",
    "record_steps",
    "relation_to_case",
    "replace_payload",
    "rule_columns",
    "rule_of",
    "schedule_of",
    "schedules_by_ids",
    "team_coordinators",
    "update_occurrence",
    "update_schedule",
]
