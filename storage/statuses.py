"""The statuses of check-in schedules, occurrences, outbox messages and dialog drafts: one
enum and one transition table each (the h11 way), and `transition`, which refuses a change the
table does not allow with an error that says what and from where.

Storage stores the enum values, the very strings it stored before (no migration). The
repositories check each change whose starting status they know (`expected_status`, or the one
status a statement requires) before they write it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar

__all__ = [
    "DRAFT_TRANSITIONS",
    "OCCURRENCE_TRANSITIONS",
    "OUTBOX_TRANSITIONS",
    "SCHEDULE_TRANSITIONS",
    "DraftStatus",
    "IllegalTransition",
    "OccurrenceStatus",
    "OutboxStatus",
    "ScheduleStatus",
    "transition",
]


class IllegalTransition(RuntimeError):
    """A status change the transition table does not allow: a bug in the caller."""


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DONE = "done"  # a one-off that fell due, or a rule with no next time
    CANCELLED = "cancelled"


class OccurrenceStatus(StrEnum):
    PENDING = "pending"  # due, not yet delivered (quiet hours, a page about to go out)
    WAITING = "waiting"  # delivered: waits for an acknowledgement, escalates on time-out
    EXHAUSTED = "exhausted"  # the escalation chain ran out: still open to an acknowledgement
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"  # replaced by a later occurrence
    CANCELLED = "cancelled"  # its schedule was paused or cancelled before delivery


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed under a lease
    SENT = "sent"
    FAILED = "failed"  # given up
    UNREACHABLE = "unreachable"  # the channel cannot reach the person


class DraftStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


_S, _O, _M, _D = ScheduleStatus, OccurrenceStatus, OutboxStatus, DraftStatus

SCHEDULE_TRANSITIONS: Mapping[ScheduleStatus, frozenset[ScheduleStatus]] = {
    _S.ACTIVE: frozenset({_S.ACTIVE, _S.PAUSED, _S.DONE, _S.CANCELLED}),
    _S.PAUSED: frozenset({_S.PAUSED, _S.ACTIVE, _S.DONE, _S.CANCELLED}),
    _S.DONE: frozenset(),
    _S.CANCELLED: frozenset(),
}

_OPEN = frozenset({_O.WAITING, _O.EXHAUSTED, _O.ACKNOWLEDGED, _O.SNOOZED, _O.CANCELLED})
OCCURRENCE_TRANSITIONS: Mapping[OccurrenceStatus, frozenset[OccurrenceStatus]] = {
    _O.PENDING: _OPEN,
    _O.WAITING: _OPEN,
    _O.EXHAUSTED: _OPEN,
    _O.ACKNOWLEDGED: frozenset(),
    _O.SNOOZED: frozenset(),
    _O.CANCELLED: frozenset(),
}

OUTBOX_TRANSITIONS: Mapping[OutboxStatus, frozenset[OutboxStatus]] = {
    _M.PENDING: frozenset({_M.SENDING}),
    # a send's outcome, a retry (back to pending), or a lease taken over after a crash
    _M.SENDING: frozenset({_M.SENDING, _M.SENT, _M.FAILED, _M.UNREACHABLE, _M.PENDING}),
    _M.SENT: frozenset(),
    _M.FAILED: frozenset(),
    _M.UNREACHABLE: frozenset(),
}

DRAFT_TRANSITIONS: Mapping[DraftStatus, frozenset[DraftStatus]] = {
    _D.DRAFT: frozenset({_D.DRAFT, _D.APPROVED, _D.REJECTED, _D.PUBLISHED, _D.WITHDRAWN}),
    _D.APPROVED: frozenset({_D.DRAFT, _D.APPROVED, _D.REJECTED, _D.PUBLISHED, _D.WITHDRAWN}),
    _D.REJECTED: frozenset({_D.DRAFT, _D.APPROVED, _D.REJECTED, _D.PUBLISHED, _D.WITHDRAWN}),
    _D.PUBLISHED: frozenset(),
    _D.WITHDRAWN: frozenset(),
}

E = TypeVar("E", bound=StrEnum)


def transition(table: Mapping[E, frozenset[E]], old: Iterable[str] | str, new: str) -> E:
    """`new` as the table's enum, if the table allows it from `old` (one status, or each of
    several a statement accepts); raises IllegalTransition otherwise."""
    kind = type(next(iter(table)))
    try:
        target = kind(new)
    except ValueError:
        raise IllegalTransition(f"{new!r} is not a {kind.__name__}") from None
    for start in (old,) if isinstance(old, str) else tuple(old):
        try:
            allowed = table[kind(start)]
        except ValueError:
            raise IllegalTransition(f"{start!r} is not a {kind.__name__}") from None
        if target not in allowed:
            raise IllegalTransition(
                f"a {kind.__name__} may not go from {start} to {target} (allowed: "
                f"{', '.join(sorted(allowed)) or 'none, it is final'})"
            )
    return target
