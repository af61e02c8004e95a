"""The vocabulary of usage figures, shared by the chat layer (which counts) and the use cases
(which read and show): what is counted at a node, the exits, the entry points of a referral,
the time buckets a median is read from, and how a small figure is hidden.

A count is keyed by (day, dialog, version, language, node, measure, item); nothing in a key
names a person, a case or a chat, and nothing is finer than a day.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DURATION_BUCKETS",
    "ENTRIES",
    "EXITS",
    "MEASURES",
    "REFERRAL_KINDS",
    "Figure",
    "bucket_label",
    "bucket_of",
    "median_bucket",
    "node_of",
]

#: visit: the node was shown; choice: an option picked (item = option id); exit: the
#: conversation ended there (item = one of EXITS); sos: /sos or the emergency button pressed
#: there; page: a human paged (item = role); emergency: an emergency screen shown; time: how
#: long someone stayed before moving on (item = a DURATION_BUCKETS bound)
MEASURES = ("visit", "choice", "exit", "sos", "page", "emergency", "time")
#: completed: an end reached; cancelled: /cancel; abandoned: left for another dialog;
#: timeout: the conversation expired (`[sessions] expiry`) where it stood
EXITS = ("completed", "cancelled", "abandoned", "timeout")
#: how a conversation came to a page or an emergency screen
ENTRIES = ("crisis", "sos", "button", "goto")
REFERRAL_KINDS = ("page", "emergency")

#: upper bounds (seconds) of the time-on-node buckets; the last catches everything longer
DURATION_BUCKETS = (5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 86400)
_LONGEST = "more"


def node_of(engine: Mapping[str, Any] | None) -> tuple[str, int, str, str] | None:
    """(dialog, version, language, node) where a stored engine state stands, read without
    parsing the whole state; None: no state, a dialog ended, or not readable."""
    if not engine or engine.get("ended"):
        return None
    dialog_id, version = engine.get("dialog_id"), engine.get("version")
    lang, node = engine.get("lang"), engine.get("node")
    if not (isinstance(dialog_id, str) and isinstance(version, int)):
        return None
    if not (isinstance(lang, str) and isinstance(node, str)):
        return None
    return dialog_id, version, lang, node


_LABELS = (*map(str, DURATION_BUCKETS), _LONGEST)


def bucket_of(seconds: float) -> str:
    """The bucket a time on a node falls in: the first bound it does not exceed (a negative
    time, a clock set back, falls in the first)."""
    return _LABELS[bisect_left(DURATION_BUCKETS, seconds)]


def _bounds(item: str) -> tuple[int, int | None]:
    if item == _LONGEST:
        return DURATION_BUCKETS[-1], None
    upper = int(item)
    index = DURATION_BUCKETS.index(upper)
    return (DURATION_BUCKETS[index - 1] if index else 0), upper


def _seconds(value: int) -> str:
    if value % 3600 == 0:
        return f"{value // 3600} h"
    if value % 60 == 0:
        return f"{value // 60} min"
    return f"{value} s"


def bucket_label(item: str) -> str:
    """'60' -> '30 s – 1 min'; 'more' -> '> 24 h'."""
    low, high = _bounds(item)
    if high is None:
        return f"> {_seconds(low)}"
    return f"{_seconds(low)} – {_seconds(high)}"


def median_bucket(counts: dict[str, int]) -> str | None:
    """The bucket that holds the median of these time counts (None: no times)."""
    total = sum(counts.values())
    if total == 0:
        return None
    order = sorted(counts, key=lambda item: _bounds(item)[0])
    seen = 0
    for item in order:
        seen += counts[item]
        if seen * 2 >= total:
            return item
    return order[-1]  # pragma: no cover - the loop always returns


@dataclass(frozen=True, slots=True)
class Figure:
    """A count as it may be shown: below `min_count` it reads "< 5" and has no value, in text,
    JSON and pictures alike (small numbers can point at a person). `withheld`: a total that is
    large enough but would give a hidden figure away by subtraction (the programme's total
    beside the teams' own) reads "withheld"."""

    count: int
    min_count: int
    withheld: bool = False

    @property
    def hidden(self) -> bool:
        return self.withheld or 0 < self.count < self.min_count

    @property
    def value(self) -> int | None:
        """The count, or None when it is hidden (charts and shading treat it as unknown)."""
        return None if self.hidden else self.count

    def shown(self) -> str:
        if self.withheld:
            return "withheld"
        return f"< {self.min_count}" if self.hidden else str(self.count)

    def json(self) -> int | str:
        return self.shown() if self.hidden else self.count

    def __str__(self) -> str:
        return self.shown()
