"""How check-ins are shown: the texts of reminders, escalations and pages (`[checkins]` in
content/catalog/<lang>.toml), their buttons, local times, and what the check-in use cases
return (`bot.checkins.results`) as replies. Case codes only: never a name of the person
followed, a note or a label typed by a practitioner. (Pages name who asks, a colleague.)

Buttons carry tokens `ci.<occurrence id>.<action>` (see `bot.checkins.tokens`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.chat.catalog import in_use
from bot.chat.dates import local_time
from bot.chat.session import Pending
from bot.checkins.results import (
    ButtonOutcome,
    CommandRefused,
    PageOutcome,
    Scheduled,
    ScheduleState,
    Upcoming,
)
from bot.checkins.tokens import checkin_token
from bot.messages import Button, Reply

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn
    from bot.chat.dialog_flow import DialogFlow

__all__ = [
    "NOTE_ORIGIN",
    "NOTE_TAG",
    "button_reply",
    "command_reply",
    "on_checkin_button",
    "page_reply",
    "reminder",
    "schedule_reply",
    "text",
    "upcoming_reply",
    "with_ack",
]

#: a quick note typed after "Done": tagged as a contact, filed with this origin
NOTE_TAG = "contact"
NOTE_ORIGIN = "checkin"
#: the most check-ins /checkins lists
UPCOMING_SHOWN = 30


def text(lang: str, key: str, **values: object) -> str:
    """The check-in message `key` in `lang` (English when the language or key is missing)."""
    return in_use().text(lang, f"checkins.{key}", **values)


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


def upcoming_reply(lang: str, time_zone: str, items: Sequence[Upcoming]) -> Reply:
    """`/checkins`: the list as one message."""
    if not items:
        return Reply(text(lang, "none_upcoming"))
    lines = [text(lang, "upcoming")]
    for item in items[:UPCOMING_SHOWN]:
        when = local_time(item.next_at, time_zone, lang) if item.next_at else "-"
        paused = f" ({text(lang, 'paused')})" if item.status == "paused" else ""
        lines.append(f"• {item.case_code} — {when}{paused}")
    return Reply("\n".join(lines))


def _schedule_buttons(lang: str, schedule_id: str, status: str) -> tuple[Button, ...]:
    if status == "active":
        return (
            Button(text(lang, "b_pause"), checkin_token(schedule_id, "sp")),
            Button(text(lang, "b_cancel"), checkin_token(schedule_id, "sc")),
        )
    if status == "paused":
        return (
            Button(text(lang, "b_resume"), checkin_token(schedule_id, "sr")),
            Button(text(lang, "b_cancel"), checkin_token(schedule_id, "sc")),
        )
    return ()


def schedule_reply(lang: str, state: ScheduleState, token: str | None = None) -> Reply:
    """A schedule paused, resumed or cancelled, with the buttons its new status offers."""
    label = text(lang, "paused") if state.status == "paused" else state.status
    return Reply(
        text(lang, "schedule_status", case=state.case_code, status=label),
        buttons=_schedule_buttons(lang, state.schedule_id, state.status),
        answers_button=token,
    )


def command_reply(lang: str, time_zone: str, result: Scheduled | CommandRefused) -> Reply:
    """`/checkin`: what was set, or how to write it."""
    if isinstance(result, CommandRefused):
        how = text(lang, f"checkin_{result.reason}")
        if result.said is None:
            return Reply(how)
        key, values = result.said
        return Reply(f"{in_use().text(lang, f'errors.{key}', **values)}\n{how}")
    when = local_time(result.next_at, time_zone, lang) if result.next_at else "-"
    body = text(lang, "scheduled", case=result.case_code, rule=result.rule, when=when)
    if result.schedule_id is None:
        return Reply(body)
    return Reply(body, buttons=_schedule_buttons(lang, result.schedule_id, "active"))


_BUTTON_TEXTS = {
    "note": "note_prompt",
    "already": "already",
    "cant_reach": "cant_reach",
    "done": "done",
    "acknowledged": "ack_thanks",
    "snoozed": "snoozed",
}


def button_reply(lang: str, time_zone: str, outcome: ButtonOutcome, token: str) -> Reply:
    """A reminder's, an escalation's or a page's button, pressed."""
    at = local_time(outcome.snoozed_until, time_zone, lang) if outcome.snoozed_until else ""
    body = text(lang, _BUTTON_TEXTS[outcome.kind], case=outcome.case_code, at=at)
    buttons: tuple[Button, ...] = ()
    if outcome.kind == "done":
        buttons = (Button(text(lang, "b_note"), checkin_token(outcome.occurrence_id, "note")),)
    return Reply(body, buttons=buttons, answers_button=token)


def page_reply(lang: str, outcome: PageOutcome) -> Reply:
    """A dialog's "notify this contact now": paging, already paged, or nobody to page."""
    key = "page_" + outcome.kind
    body = text(lang, key, role=outcome.role, who=outcome.requested_by)
    return Reply(body, kind="alert" if outcome.kind == "none" else "notice")


async def on_checkin_button(
    core: ChatCore, dialog_flow: DialogFlow, turn: Turn, token: str
) -> list[Reply]:
    """A check-in button, shown; then what it asks of the conversation: type a quick note
    on the case ("Done" + note), or open the guidance dialog ("Can't reach the person")."""
    assert core.checkins is not None
    outcome = await core.checkins.handle_button(turn.actor, token)
    if isinstance(outcome, ScheduleState):
        return [schedule_reply(turn.lang, outcome, token)]
    replies = [button_reply(turn.lang, turn.actor.time_zone, outcome, token)]
    if outcome.kind == "note":
        refusal = core.notes_refusal(turn)
        if refusal is not None:
            return [*replies, refusal]
        pending = Pending(
            kind="quick_note",
            step="text",
            case=outcome.case_code,
            tags=[NOTE_TAG],
            origin=NOTE_ORIGIN,
        )
        turn.session.pending.insert(0, pending)
    if outcome.open_dialog:
        replies.extend(
            await dialog_flow.start_dialog(turn, outcome.open_dialog, outcome.case_code)
        )
    return replies
