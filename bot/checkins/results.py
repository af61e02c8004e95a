"""What check-in use cases return: data, never messages. The chat layer shows them
(`bot.chat.checkins`); the command line prints them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "ButtonKind",
    "ButtonOutcome",
    "CommandRefused",
    "PageKind",
    "PageOutcome",
    "ScheduleState",
    "Scheduled",
    "Upcoming",
]

#: note: type a quick note on the case ("Done" + note); already: handled before;
#: cant_reach: the owner was told, guidance follows; done: check-in recorded;
#: acknowledged: an escalation or a page acknowledged; snoozed: reminded again later
ButtonKind = Literal["note", "already", "cant_reach", "done", "acknowledged", "snoozed"]

#: none: nobody on call can be paged; running: already paged (by oneself, or by a
#: colleague: running_other); sent: paging now
PageKind = Literal["none", "running", "running_other", "sent"]


@dataclass(frozen=True, slots=True)
class ButtonOutcome:
    """A button of a reminder, an escalation or a page, pressed."""

    kind: ButtonKind
    case_code: str
    occurrence_id: str
    #: snoozed: when the reminder comes again
    snoozed_until: datetime | None = None
    #: cant_reach: the guidance dialog to open on the case
    open_dialog: str | None = None


@dataclass(frozen=True, slots=True)
class PageOutcome:
    """A dialog's "notify this contact now"."""

    kind: PageKind
    role: str
    #: running_other: the colleague who asked first (a practitioner's name)
    requested_by: str = ""


@dataclass(frozen=True, slots=True)
class ScheduleState:
    """A schedule paused, resumed or cancelled: its status now."""

    schedule_id: str
    case_code: str
    status: str


@dataclass(frozen=True, slots=True)
class Scheduled:
    """`/checkin`: a check-in set. `schedule_id` is None for a follow-up for oneself (a
    one-off with nothing to pause)."""

    case_code: str
    rule: str
    next_at: datetime | None
    schedule_id: str | None


@dataclass(frozen=True, slots=True)
class CommandRefused:
    """`/checkin` words that say no check-in: `usage` (not understood) or `range` (a one-off
    too near or too far); `said`, when one word is to blame, what the refusal says of it
    (`RelaisError.said`: a key of the catalogs' `[errors]` and its values)."""

    reason: Literal["usage", "range"]
    said: tuple[str, dict[str, object]] | None = None


@dataclass(frozen=True, slots=True)
class Upcoming:
    """One schedule or open occurrence, as listed by /checkins and `relais checkins list`."""

    schedule_id: str | None
    occurrence_id: str | None
    case_code: str
    rule: str
    status: str
    next_at: datetime | None
    reminded_id: str | None
    urgent: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "schedule_id": self.schedule_id,
            "occurrence_id": self.occurrence_id,
            "case": self.case_code,
            "rule": self.rule,
            "status": self.status,
            "next_at": self.next_at.isoformat() if self.next_at else None,
            "reminded_id": self.reminded_id,
            "urgent": self.urgent,
        }
