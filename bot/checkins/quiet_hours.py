"""Quiet hours: a reminder due at night is delivered when the practitioner's quiet hours end.

Quiet hours are wall-clock times in the practitioner's zone, e.g. 21:00-07:30 (crossing midnight)
or 12:00-14:00. A start equal to the end means no quiet hours. Urgent schedules and pages are
never deferred. Pure: `now` and the due time are passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.errors import InvalidInput
from storage.recurrence import local_to_utc, zone

__all__ = ["QuietHours", "delivery_time"]

_RANGE = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """'21:00-07:30' -> QuietHours; '' -> None."""
        if not text.strip():
            return None
        m = _RANGE.match(text)
        if not m:
            raise InvalidInput(f"expected quiet hours such as 21:00-07:30, found {text!r}").saying(
                "quiet_hours", found=text
            )
        return cls(time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4])))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: time) -> bool:
        local = local.replace(tzinfo=None, fold=0)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # crosses midnight


def delivery_time(
    due: datetime, time_zone: str, quiet: QuietHours | None, *, urgent: bool = False
) -> datetime:
    """When to deliver a reminder due at `due` (UTC) to a practitioner in `time_zone`: `due`
    itself, or the end of their quiet hours if `due` falls inside them (unless urgent)."""
    if due.tzinfo is None:
        raise ValueError("delivery_time needs a timezone-aware time")
    if urgent or quiet is None:
        return due
    tz = zone(time_zone)
    local = due.astimezone(tz)
    if not quiet.contains(local.time()):
        return due
    day = local.date()
    if quiet.start > quiet.end and local.time().replace(fold=0) >= quiet.start:
        day += timedelta(days=1)  # in the evening part: quiet hours end tomorrow morning
    end = local_to_utc(day, quiet.end, tz)
    return max(end, due)
