"""How check-ins are shown: the texts of reminders, escalations and pages (`[checkins]` in
content/catalog/<lang>.toml), their buttons, and local times. Case codes only: never a name of
the person followed, a note or a label typed by a practitioner. (Pages name who asks, a
colleague.)

Buttons carry tokens `ci.<occurrence id>.<action>` (see `bot.checkins.tokens`).
"""

from __future__ import annotations

from datetime import datetime

from bot.chat.catalog import bundled
from bot.checkins.tokens import checkin_token
from bot.messages import Button, Reply
from storage.recurrence import zone

__all__ = ["local_time", "reminder", "text", "with_ack"]


def text(lang: str, key: str, **values: object) -> str:
    """The check-in message `key` in `lang` (English when the language or key is missing)."""
    return bundled().text(lang, f"checkins.{key}", **values)


def local_time(when: datetime, time_zone: str) -> str:
    """A short local time for a practitioner: 'Mon 30 Mar 09:00'."""
    return when.astimezone(zone(time_zone)).strftime("%a %d %b %H:%M")


def reminder(lang: str, occurrence_id: str, case_code: str, late_due: str | None) -> Reply:
    body = (
        text(lang, "reminder_late", case=case_code, due=late_due)
        if late_due
        else text(lang, "reminder", case=case_code)
    )
    return Reply(
        body,
        buttons=(
            Button(text(lang, "b_done"), checkin_token(occurrence_id, "done")),
            Button(text(lang, "b_snooze_1h"), checkin_token(occurrence_id, "s1h")),
            Button(text(lang, "b_snooze_1d"), checkin_token(occurrence_id, "s1d")),
            Button(text(lang, "b_cant"), checkin_token(occurrence_id, "cant")),
        ),
        kind="alert",
    )


def with_ack(lang: str, occurrence_id: str, body: str) -> Reply:
    return Reply(
        body,
        buttons=(Button(text(lang, "b_ack"), checkin_token(occurrence_id, "ack")),),
        kind="alert",
    )
