"""The `/checkin` chat command's schedule words, in English and French (pure)."""

from __future__ import annotations

from datetime import datetime, time

from bot.errors import InvalidInput
from storage.recurrence import WEEKDAYS, EveryNDays, Monthly, Recurrence, Weekly, zone

__all__ = ["chat_rule"]

# A word that is not what its place asks for is refused naming the word and what it should
# look like, in the reader's language (`[errors] checkin_bad_*`).


_DAYS = {
    **{d.lower(): i for i, d in enumerate(WEEKDAYS)},
    **{d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{d: i for i, d in enumerate(("lu", "ma", "me", "je", "ve", "sa", "di"))},
    **{d: i for i, d in enumerate(("lun", "mar", "mer", "jeu", "ven", "sam", "dim"))},
}


def _hhmm(word: str) -> time:
    """09:00, 9:00, 9h or 9h30."""
    hh, _, mm = word.lower().replace("h", ":").partition(":")
    readable = hh.isdigit() and (mm.isdigit() or not mm) and len(hh) <= 2 and len(mm) <= 2
    if not (readable and int(hh) <= 23 and int(mm or 0) <= 59):
        raise InvalidInput(f"not a time of day: {word!r}").saying("checkin_bad_time", found=word)
    return time(int(hh), int(mm or 0))


def _number(word: str, low: int, high: int, suffix: str = "") -> int | None:
    """The number `word` says (`suffix`: letters it may end with), None unless in low..high."""
    digits = word.lower().rstrip(suffix) if suffix else word
    return int(digits) if digits.isdigit() and low <= int(digits) <= high else None


def chat_rule(
    kind: str, words: list[str], time_zone: str, now: datetime
) -> tuple[Recurrence, list[str]]:
    """The rule of a `/checkin` command (weekly DAY HH:MM, every Nd HH:MM, monthly D HH:MM);
    returns it and the words left (a name)."""
    if kind not in ("weekly", "hebdo", "every", "tous", "monthly", "mensuel"):
        raise InvalidInput(f"not a kind of check-in: {kind!r}").saying(
            "checkin_bad_kind", found=kind
        )
    if len(words) < 2:
        raise InvalidInput("no time of day").saying("checkin_bad_time", found="")
    if kind in ("weekly", "hebdo"):
        day = words[0].lower()
        weekday = _DAYS.get(day) if len(day) <= 3 else _DAYS.get(day[:3])
        if weekday is None:
            raise InvalidInput(f"not a weekday: {words[0]!r}").saying(
                "checkin_bad_weekday", found=words[0]
            )
        return Weekly(weekday, _hhmm(words[1]), time_zone), words[2:]
    if kind in ("every", "tous"):
        days = _number(words[0], 1, 366, suffix="dj")
        if days is None:
            raise InvalidInput(f"not 1-366 days: {words[0]!r}").saying(
                "checkin_bad_days", found=words[0]
            )
        start = now.astimezone(zone(time_zone)).date()
        return EveryNDays(days, _hhmm(words[1]), time_zone, start), words[2:]
    day_of_month = _number(words[0], 1, 31)
    if day_of_month is None:
        raise InvalidInput(f"not a day of the month: {words[0]!r}").saying(
            "checkin_bad_month_day", found=words[0]
        )
    return Monthly(day_of_month, _hhmm(words[1]), time_zone), words[2:]
