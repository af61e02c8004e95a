"""Trying a dialog as the engine runs it, with nothing real done: the Studio's "Try" page.

`try_start` and `try_step` drive `dialogs.engine.step` exactly as the chat layer does and turn
its outputs into `TryLine`s: what the bot says (with the options it offers), and what would
happen for real — a note filed, a check-in scheduled, contacts shown, the on-call person paged.
Nothing is filed, scheduled or sent: the requests are only described. The state between two
turns is the engine's own `SessionState`, kept by the caller (as `to_dict()`, server-side).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from dialogs.engine import current_prompt, step
from dialogs.events import (
    Choose,
    Ended,
    Event,
    LogNote,
    OptionView,
    Output,
    PageContact,
    Say,
    ScheduleCheckin,
    ShowContacts,
    Start,
    StepResult,
    Text,
)
from dialogs.library import DialogSource
from dialogs.state import SessionState

__all__ = ["TRY_CONTEXT", "TryLine", "TryTurn", "try_answer", "try_start", "try_step"]

#: who the bot believes it speaks to while trying (no practitioner, no case)
TRY_CONTEXT = {"practitioner": "Studio", "case": ""}

LineKind = Literal["bot", "you", "note", "checkin", "contacts", "page", "ended", "refused"]


@dataclass(frozen=True, slots=True)
class TryLine:
    """One line of a try: `bot` (text, options), `you` (what was picked or typed), or what
    would happen for real: `note` (text = its body, tags), `checkin` (after, text = its label),
    `contacts` (roles, urgent), `page` (roles[0]), `ended` (text = the reason), `refused`
    (text = why the engine refused the answer)."""

    kind: LineKind
    text: str = ""
    options: tuple[OptionView, ...] = ()
    roles: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    after: timedelta | None = None
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class TryTurn:
    """The state after a turn (None: the dialog could not start), the lines of the turn, and
    what the bot now waits for (`prompt`: None when the dialog ended)."""

    state: SessionState | None
    lines: tuple[TryLine, ...]
    prompt: Say | None

    @property
    def ended(self) -> bool:
        return self.state is None or self.state.ended


def _lines(outputs: Sequence[Output]) -> list[TryLine]:
    lines: list[TryLine] = []
    for output in outputs:
        if isinstance(output, Say):
            lines.append(TryLine("bot", output.text, output.options))
        elif isinstance(output, ShowContacts):
            lines.append(TryLine("contacts", roles=output.roles, urgent=output.urgent))
        elif isinstance(output, PageContact):
            lines.append(TryLine("page", roles=(output.role,)))
        elif isinstance(output, LogNote):
            lines.append(TryLine("note", output.body, tags=output.tags))
        elif isinstance(output, ScheduleCheckin):
            lines.append(TryLine("checkin", output.label, after=output.after))
        elif isinstance(output, Ended):
            lines.append(TryLine("ended", output.reason))
    return lines


def _prompt(outputs: Sequence[Output]) -> Say | None:
    for output in reversed(outputs):
        if isinstance(output, Say) and output.expects is not None:
            return output
    return None


def _turn(library: DialogSource, result: StepResult, before: list[TryLine]) -> TryTurn:
    state = result.state
    waiting = None
    if state is not None and not state.ended:
        waiting = _prompt(result.outputs) or current_prompt(library, state)
    if result.error is not None:
        return TryTurn(state, (*before, TryLine("refused", result.error.message)), waiting)
    return TryTurn(state, (*before, *_lines(result.outputs)), waiting)


def try_start(
    library: DialogSource,
    dialog_id: str,
    lang: str,
    now: datetime,
    variables: Mapping[str, str | int | float | bool | None] | None = None,
) -> TryTurn:
    """Start the newest version of `dialog_id` in `lang`."""
    result = step(library, None, Start(dialog_id, lang, TRY_CONTEXT, variables or {}), now)
    return _turn(library, result, [])


def try_step(
    library: DialogSource,
    state: SessionState,
    event: Event,
    now: datetime,
    said: str = "",
) -> TryTurn:
    """One more event; `said` is what the person picked or typed, shown as a `you` line."""
    result = step(library, state, event, now)
    return _turn(library, result, [TryLine("you", said)] if said else [])


def try_answer(library: DialogSource, state: SessionState, answer: str, now: datetime) -> TryTurn:
    """An answer to the prompt the session waits on: an option id (when it asks to choose,
    shown by its label) or a typed text."""
    prompt = current_prompt(library, state)
    if prompt is not None and prompt.expects == "option":
        label = next((o.label for o in prompt.options if o.id == answer), answer)
        return try_step(library, state, Choose(answer, state.turn), now, label)
    return try_step(library, state, Text(answer), now, answer)
