"""Check-in button tokens: `ci.<id>.<action>` (at most 40 bytes, within Telegram's 64).

On an occurrence (a reminder, an escalation, a page): done, note (after done), s1h / s1d
(snooze), cant (can't reach the person), ack (acknowledge an escalation or a page).
On a schedule: sp (pause), sr (resume), sc (cancel).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ACTIONS",
    "SCHEDULE_ACTIONS",
    "CheckinToken",
    "checkin_token",
    "parse_checkin_token",
]

SCHEDULE_ACTIONS = {"sp": "pause", "sr": "resume", "sc": "cancel"}
ACTIONS = frozenset({"done", "note", "s1h", "s1d", "cant", "ack", *SCHEDULE_ACTIONS})
_TOKEN = re.compile(r"^ci\.([0-9a-f]{32})\.([a-z0-9]{1,8})$")


@dataclass(frozen=True, slots=True)
class CheckinToken:
    occurrence_id: str
    action: str


def checkin_token(occurrence_id: str, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown check-in action {action!r}")
    token = f"ci.{occurrence_id}.{action}"
    if not _TOKEN.match(token):
        raise ValueError("a check-in token needs a 32-hex occurrence id")
    return token


def parse_checkin_token(token: str) -> CheckinToken | None:
    """The token's parts, or None if it is not a well-formed check-in token."""
    m = _TOKEN.match(token)
    if not m or m[2] not in ACTIONS:
        return None
    return CheckinToken(m[1], m[2])
