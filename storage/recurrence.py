"""When a check-in falls due: recurrence rules in local wall-clock time (pure, no I/O).

A rule is defined in the practitioner's wall-clock time and IANA zone, never as a fixed interval,
so a weekly 09:00 Europe/Paris check-in is at 09:00 local time every week across both DST changes.

Local times that do not exist or exist twice are resolved deliberately, by PEP 495 `fold=0`:

- spring-forward gap (02:30 on the last Sunday of March in Paris does not exist): the time is
  shifted forward by the length of the gap (02:30 -> 03:30 CEST), as dateutil's
  `resolve_imaginary` does. The check-in still happens that day, slightly later, never earlier.
- fall-back overlap (02:30 happens twice on the last Sunday of October): the first occurrence
  (02:30 CEST) is used; the check-in never fires twice.

Rules serialise to short strings stored in the database (`to_text` / `parse_rule`):

    weekly:MO@09:00              every Monday at 09:00 local
    every:3d@09:00 from 2026-01-05   every 3 days at 09:00 local, counted from that local date
    monthly:31@10:00             on day 31 (clamped to the month's last day) at 10:00 local
    once:2026-03-29T07:30:00Z    one-off at a UTC instant
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.errors import InvalidInput

__all__ = [
    "WEEKDAYS",
    "EveryNDays",
    "Monthly",
    "OneOff",
    "Recurrence",
    "Weekly",
    "local_to_utc",
    "next_occurrence",
    "parse_rule",
    "zone",
]

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, or InvalidInput saying what was expected."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"expected an IANA time zone such as Europe/Paris, found {name!r}"
        ).saying("time_zone", found=name) from exc


def local_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of wall-clock `at` on `day` in `tz` (gap: shifted forward; overlap:
    first occurrence; see the module docstring)."""
    return datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz).astimezone(UTC)


def _check_after(after: datetime) -> datetime:
    if after.tzinfo is None:
        raise ValueError("next_occurrence needs a timezone-aware time")
    return after.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Weekly:
    weekday: int  # 0 = Monday
    at: time
    time_zone: str

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidInput(f"expected a weekday 0-6 (Monday = 0), found {self.weekday}")
        zone(self.time_zone)

    def next_after(self, after: datetime) -> datetime:
        tz = zone(self.time_zone)
        start = after.astimezone(tz).date() - timedelta(days=1)
        offset = (self.weekday - start.weekday()) % 7
        day = start + timedelta(days=offset)
        while True:
            candidate = local_to_utc(day, self.at, tz)
            if candidate > after:
                return candidate
            day += timedelta(days=7)

    def to_text(self) -> str:
        return f"weekly:{WEEKDAYS[self.weekday]}@{self.at:%H:%M}"


@dataclass(frozen=True, slots=True)
class EveryNDays:
    days: int
    at: time
    time_zone: str
    start: date  # the local date of the first occurrence; the series is start + k*days

    def __post_init__(self) -> None:
        if not 1 <= self.days <= 366:
            raise InvalidInput(f"expected every 1-366 days, found {self.days}").saying(
                "every_days", found=self.days
            )
        zone(self.time_zone)

    def next_after(self, after: datetime) -> datetime:
        tz = zone(self.time_zone)
        local_day = after.astimezone(tz).date() - timedelta(days=1)
        k = max(0, -(-(local_day - self.start).days // self.days))  # ceil, not before start
        day = self.start + timedelta(days=k * self.days)
        while True:
            candidate = local_to_utc(day, self.at, tz)
            if candidate > after:
                return candidate
            day += timedelta(days=self.days)

    def to_text(self) -> str:
        return f"every:{self.days}d@{self.at:%H:%M} from {self.start.isoformat()}"


@dataclass(frozen=True, slots=True)
class Monthly:
    day: int  # 1-31; clamped to the last day of shorter months
    at: time
    time_zone: str

    def __post_init__(self) -> None:
        if not 1 <= self.day <= 31:
            raise InvalidInput(f"expected a day of the month 1-31, found {self.day}").saying(
                "month_day", found=self.day
            )
        zone(self.time_zone)

    def next_after(self, after: datetime) -> datetime:
        tz = zone(self.time_zone)
        local = after.astimezone(tz).date()
        year, month = local.year, local.month - 1
        if month == 0:
            year, month = year - 1, 12
        while True:
            last = calendar.monthrange(year, month)[1]
            candidate = local_to_utc(date(year, month, min(self.day, last)), self.at, tz)
            if candidate > after:
                return candidate
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def to_text(self) -> str:
        return f"monthly:{self.day}@{self.at:%H:%M}"


@dataclass(frozen=True, slots=True)
class OneOff:
    at_utc: datetime

    def __post_init__(self) -> None:
        if self.at_utc.tzinfo is None:
            raise InvalidInput("a one-off check-in needs a timezone-aware time")

    def next_after(self, after: datetime) -> datetime | None:
        at = self.at_utc.astimezone(UTC)
        return at if at > after else None

    def to_text(self) -> str:
        return f"once:{self.at_utc.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


Recurrence = Weekly | EveryNDays | Monthly | OneOff


def next_occurrence(rule: Recurrence, after: datetime) -> datetime | None:
    """The first due instant (UTC) strictly after `after`; None when a one-off is past."""
    return rule.next_after(_check_after(after))


_HHMM = r"([01]\d|2[0-3]):([0-5]\d)"
_WEEKLY = re.compile(rf"^weekly:([A-Z]{{2}})@{_HHMM}$")
_EVERY = re.compile(rf"^every:(\d+)d@{_HHMM} from (\d{{4}}-\d{{2}}-\d{{2}})$")
_MONTHLY = re.compile(rf"^monthly:(\d{{1,2}})@{_HHMM}$")
_ONCE = re.compile(r"^once:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})Z$")


def parse_rule(text: str, time_zone: str) -> Recurrence:
    """Parse a stored or typed rule (see the module docstring); `time_zone` is the schedule's."""
    text = text.strip()
    if m := _WEEKLY.match(text):
        if m.group(1) not in WEEKDAYS:
            raise InvalidInput(f"expected a weekday among {' '.join(WEEKDAYS)}, found {m[1]!r}")
        return Weekly(WEEKDAYS.index(m[1]), time(int(m[2]), int(m[3])), time_zone)
    if m := _EVERY.match(text):
        try:
            start = date.fromisoformat(m[4])
        except ValueError as exc:
            raise InvalidInput(f"expected a date YYYY-MM-DD, found {m[4]!r}") from exc
        return EveryNDays(int(m[1]), time(int(m[2]), int(m[3])), time_zone, start)
    if m := _MONTHLY.match(text):
        return Monthly(int(m[1]), time(int(m[2]), int(m[3])), time_zone)
    if m := _ONCE.match(text):
        try:
            at = datetime.fromisoformat(m[1]).replace(tzinfo=UTC)
        except ValueError as exc:
            raise InvalidInput(f"expected a UTC time, found {m[1]!r}") from exc
        return OneOff(at)
    raise InvalidInput(
        "expected a rule such as 'weekly:MO@09:00', 'every:3d@09:00 from 2026-01-05', "
        f"'monthly:1@10:00' or 'once:2026-01-05T09:00:00Z', found {text!r}"
    )
