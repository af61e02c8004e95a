"""The `/checkin` chat command's schedule words, in English and French (pure)."""

from __future__ import annotations

from datetime import datetime, time

from bot.errors import InvalidInput
from storage.recurrence import WEEKDAYS, EveryNDays, Monthly, Recurrence, Weekly, zone

__all__ = ["chat_rule"]

_DAYS = {
    **{d.lower(): i for i, d in enumerate(WEEKDAYS)},
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{d: i for i, d in enumerate(("lu", "ma", "me", "je", "ve", "sa", "di"))},
    **{d: i for i, d in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
}


def _hhmm(word: str) -> time:
    hh, mm = word.replace("h", ":").split(":")
    return time(int(hh), int(mm or 0))


def chat_rule(
    kind: str, words: list[str], time_zone: str, now: datetime
) -> tuple[Recurrence, list[str]]:
    """The rule of a `/checkin` command (weekly DAY HH:MM, every Nd HH:MM, monthly D HH:MM);
    returns it and the words left (a name)."""
    if kind in ("weekly", "hebdo"):
        day = words[0].lower()
        weekday = _DAYS.get(day[:3], _DAYS.get(day[:2]))
        if weekday is None:
            raise InvalidInput(f"expected a weekday such as MO or LU, found {words[0]!r}")
        return Weekly(weekday, _hhmm(words[1]), time_zone), words[2:]
    if kind in ("every", "tous"):
        days = int(words[0].lower().rstrip("dj"))
        start = now.astimezone(zone(time_zone)).date()
        return EveryNDays(days, _hhmm(words[1]), time_zone, start), words[2:]
    if kind in ("monthly", "mensuel"):
        return Monthly(int(words[0]), _hhmm(words[1]), time_zone), words[2:]
    raise InvalidInput(f"unknown kind of check-in {kind!r}")
