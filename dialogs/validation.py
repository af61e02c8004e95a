"""Checking and converting what a practitioner types into an input node."""

from __future__ import annotations

import re
from datetime import date

from dialogs.model import Validation
from dialogs.patterns import matches

__all__ = ["DEFAULT_MAX_LENGTH", "validate_input"]

DEFAULT_MAX_LENGTH = 4000
_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4})$"),
)


def validate_input(text: str, rule: Validation) -> tuple[str | int | float | None, str]:
    """(value, "") when valid, else (None, catalog key of the reason)."""
    value = text.strip()
    min_length = rule.min_length if rule.min_length is not None else 1
    max_length = rule.max_length if rule.max_length is not None else DEFAULT_MAX_LENGTH
    if len(value) < min_length:
        return None, "too_short"
    if len(value) > max_length:
        return None, "too_long"
    if rule.pattern is not None and not matches(rule.pattern, value):  # RE2: linear time
        return None, "invalid_input"
    if rule.type == "number":
        try:
            number = float(value.replace(",", ".").replace(" ", ""))
        except ValueError:
            return None, "not_number"
        if number != number or number in (float("inf"), float("-inf")):
            return None, "not_number"
        if (rule.min is not None and number < rule.min) or (
            rule.max is not None and number > rule.max
        ):
            return None, "out_of_range"
        return (int(number) if number.is_integer() and abs(number) < 2**53 else number), ""
    if rule.type == "date":
        for fmt in _DATE_FORMATS:
            match = fmt.match(value)
            if match:
                try:
                    day = date(int(match["y"]), int(match["m"]), int(match["d"]))
                except ValueError:
                    return None, "not_date"
                return day.isoformat(), ""
        return None, "not_date"
    return value, ""
