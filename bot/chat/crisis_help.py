"""Every screen of a crisis dialog shows how to reach help, one tap away.

When a screen of a dialog tagged `crisis` waits for the practitioner (its own screens and those
of the dialogs it runs by goto), the chat layer adds what /sos does:

- Telegram: an "Emergency contacts" button under every such screen;
- Matrix and the console, where buttons are a numbered list and a typed number picks one: the
  same numbered option on screens with options; on a screen that waits for typed text (where
  "3" is an answer) a line "Send /sos for emergency contacts." instead.

A screen that already offers an option leading straight to the emergency contacts gets nothing
more. The button's token is the same on every screen (`SOS_TOKEN`): it never expires, shows the
contacts and then the screen the practitioner was on, so the dialog goes on.
"""

from __future__ import annotations

import dialogs as dl
from bot.messages import SOS_BUTTON
from dialogs.guidance import leads_to_emergency
from dialogs.model import QuestionNode

__all__ = ["CRISIS_TAG", "SOS_TOKEN", "needs_help_button", "with_help"]

CRISIS_TAG = "crisis"
#: the button's token (defined beside the message model: channels answer it ahead of a busy
#: chat's queue, as they do /sos)
SOS_TOKEN = SOS_BUTTON
#: channels whose buttons are pressed, not typed as numbers
_NATIVE_BUTTONS = frozenset({"telegram"})


def needs_help_button(source: dl.DialogSource, state: dl.SessionState, say: dl.Say) -> bool:
    """Whether the screen `say`, where `state` waits, belongs to a crisis dialog (running, or
    one that ran it by goto) and offers no option straight to the emergency contacts."""
    if say.expects is None or state.ended:
        return False
    running = source.get(state.dialog_id, state.version)
    callers = (source.get(frame.dialog_id, frame.version) for frame in state.stack)
    if not any(d is not None and CRISIS_TAG in d.tags for d in (running, *callers)):
        return False
    if running is None:
        return True
    node = running.nodes.get(state.node)
    if isinstance(node, QuestionNode):
        shown = {option.id for option in say.options}
        return not any(o.id in shown and leads_to_emergency(running, o) for o in node.options)
    return True


def with_help(
    text: str,
    buttons: list[tuple[str, str]],
    *,
    expects: str | None,
    channel: str,
    label: str,
    hint: str,
) -> tuple[str, list[tuple[str, str]]]:
    """The screen's text and buttons with the way to the emergency contacts added."""
    if channel in _NATIVE_BUTTONS or expects == "option":
        return text, [*buttons, (label, SOS_TOKEN)]
    return (f"{text}\n\n{hint}" if text else hint), buttons
