"""Check-in storage: the records and the read-only lookups of cases, people and the rota.

Schedules, occurrences and the outbox are repositories on the transaction (`tx.schedules`,
`tx.occurrences`, `tx.outbox`, in `storage/repos/`). This module gathers what is left:
`storage.checkins_records` (data objects); what check-ins read of cases, people and the rota is
`tx.checkin_reads` (`storage/repos/checkin_reads.py`).

Exactly once across processes (`storage/repos/schedules.py`, `occurrences.py`, `outbox.py`):
claims lock rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL (another process skips them instead of waiting) and then flip them with a
compare-and-set ``UPDATE ... WHERE status = <expected>``; on SQLite, where ``FOR UPDATE`` does not
exist, every transaction holds the single write lock (``BEGIN IMMEDIATE``, see `storage.db`), so
the compare-and-set is enough. Leases (`lease_owner`, `lease_until`) let a process take over the
rows of a process that died mid-send. Inserts of occurrences and outbox messages are
``ON CONFLICT DO NOTHING`` on their natural keys ((schedule, due time) and the idempotency key),
so even a duplicated step cannot create a second reminder.
"""

from __future__ import annotations

from storage.checkins_records import (
    OPEN_OCCURRENCE,
    CaseRef,
    Identity,
    Occurrence,
    OutboxItem,
    Schedule,
    case_of,
    insert_ignore,
    lock_rows,
    occurrence_of,
    outbox_of,
    rule_columns,
    rule_of,
    schedule_of,
)

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
