"""What goes into the engine (events) and what comes out (outputs, errors)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Literal, Union

if TYPE_CHECKING:
    from dialogs.state import SessionState

__all__ = [
    "Cancel",
    "Choose",
    "Ended",
    "Event",
    "EventError",
    "LogNote",
    "OptionView",
    "Output",
    "PageContact",
    "Say",
    "ScheduleCheckin",
    "ShowContacts",
    "Sos",
    "Start",
    "StepResult",
    "Text",
    "Timeout",
]


# -- events -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Start:
    """Start a dialog. `context`: practitioner (display name), case (code); `vars`: initial
    variables; `version`: None = newest; `node`: start elsewhere than the start node
    (authoring). Starting over an existing state keeps counting its turns."""

    dialog_id: str
    lang: str = "en"
    context: Mapping[str, str] = field(default_factory=dict)
    vars: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)
    version: int | None = None
    node: str | None = None


@dataclass(frozen=True, slots=True)
class Choose:
    option_id: str
    turn: int


@dataclass(frozen=True, slots=True)
class Text:
    text: str


@dataclass(frozen=True, slots=True)
class Timeout:
    pass


@dataclass(frozen=True, slots=True)
class Sos:
    pass


@dataclass(frozen=True, slots=True)
class Cancel:
    pass


Event = Union[Start, Choose, Text, Timeout, Sos, Cancel]  # noqa: UP007


# -- outputs ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OptionView:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Say:
    """Text to show; a prompt also carries its options, what it expects and its turn."""

    text: str
    options: tuple[OptionView, ...] = ()
    expects: Literal["option", "text"] | None = None
    turn: int = 0


@dataclass(frozen=True, slots=True)
class ShowContacts:
    roles: tuple[str, ...]
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class PageContact:
    role: str


@dataclass(frozen=True, slots=True)
class LogNote:
    body: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScheduleCheckin:
    after: timedelta
    label: str


@dataclass(frozen=True, slots=True)
class Ended:
    """The session ended: completed, cancelled, timeout or error."""

    reason: str


Output = Union[Say, ShowContacts, PageContact, LogNote, ScheduleCheckin, Ended]  # noqa: UP007


@dataclass(frozen=True, slots=True)
class EventError:
    """Why an event was refused. Codes: no_session, ended, unknown_dialog, unknown_node,
    stale_turn, unknown_option, expected_option, expected_text, invalid_input, bad_event."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class StepResult:
    state: SessionState | None
    outputs: tuple[Output, ...] = ()
    error: EventError | None = None
    #: (dialog id, node id) of every node the step passed through, in order (for tests/tools)
    visited: tuple[tuple[str, str], ...] = ()
