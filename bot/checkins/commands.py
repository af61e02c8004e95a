"""The `/checkin` chat command's schedule words, in English and French (pure)."""

from __future__ import annotations

from datetime import datetime, time

from bot.errors import InvalidInput
from storage.recurrence import WEEKDAYS, EveryNDays, Monthly, Recurrence, Weekly, zone

__all__ = ["CheckinWordsError", "chat_rule"]


class CheckinWordsError(InvalidInput):
    """A word of a `/checkin` command that is not what its place asks for: `problem` names the
    place (kind, weekday, time, days, month_day, duration: the chat says it in the reader's
    language) and `found` the word."""

    def __init__(self, problem: str, found: str) -> None:
        super().__init__(f"{problem}: {found!r}")
        self.problem = problem
        self.found = found


_DAYS = {
    **{d.lower(): i for i, d in enumerate(WEEKDAYS)},
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{d: i for i, d in enumerate(("lu", "ma", "me", "je", "ve", "sa", "di"))},
    **{d: i for i, d in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
}


def _hhmm(word: str) -> time:
    """09:00, 9:00, 9h or 9h30."""
    hh, _, mm = word.lower().replace("h", ":").partition(":")
    if not (hh.isdigit() and (mm.isdigit() or not mm) and len(hh) <= 2 and len(mm) <= 2):
        raise CheckinWordsError("time", word)
    if not (int(hh) <= 23 and int(mm or 0) <= 59):
        raise CheckinWordsError("time", word)
    return time(int(hh), int(mm or 0))


def _number(word: str, problem: str, low: int, high: int, suffix: str = "") -> int:
    digits = word.lower().rstrip(suffix) if suffix else word
    if not (digits.isdigit() and low <= int(digits) <= high):
        raise CheckinWordsError(problem, word)
    return int(digits)


def chat_rule(
    kind: str, words: list[str], time_zone: str, now: datetime
) -> tuple[Recurrence, list[str]]:
    """The rule of a `/checkin` command (weekly DAY HH:MM, every Nd HH:MM, monthly D HH:MM);
    returns it and the words left (a name)."""
    if kind not in ("weekly", "hebdo", "every", "tous", "monthly", "mensuel"):
        raise CheckinWordsError("kind", kind)
    if len(words) < 2:
        raise CheckinWordsError("time", "")
    if kind in ("weekly", "hebdo"):
        day = words[0].lower()
        weekday = _DAYS.get(day) if len(day) <= 3 else _DAYS.get(day[:3])
        if weekday is None:
            raise CheckinWordsError("weekday", words[0])
        return Weekly(weekday, _hhmm(words[1]), time_zone), words[2:]
    if kind in ("every", "tous"):
        days = _number(words[0], "days", 1, 366, suffix="dj")
        start = now.astimezone(zone(time_zone)).date()
        return EveryNDays(days, _hhmm(words[1]), time_zone, start), words[2:]
    day_of_month = _number(words[0], "month_day", 1, 31)
    return Monthly(day_of_month, _hhmm(words[1]), time_zone), words[2:]
