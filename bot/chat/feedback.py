""" "Did this help?" at the end of a dialog: the question, the answer, the optional comment.

When it is asked, precisely: when a dialog ended as completed (an end reached, not /cancel, a
timeout or an error), outside a preview, and
- not when the conversation took a risk option (`risk: true`, someone may be in danger) and
  no page of a human or emergency screen came after it: a crisis path before help is reached;
- not in the turn that paged someone or showed the emergency contacts (the person should be
  calling, not rating), which also means never as an answer to /sos.
The question is one optional message under the dialog's last text: Yes / Partly / No buttons
(`fb.<sid>.<answer>`, expired with the conversation). An answer is stored at once; then one
typed message (not a command) is taken as a comment, or the "No comment" button ends it;
nothing else is asked. Opening a dialog leaves the question behind.

What the conversation keeps for it (`ChatSession.feedback`, encrypted with the session and
gone with it): `risk` (a risk option taken, help not yet reached), `offer` (the dialog, version
and language asked about) and `comment_for` (the answer's id, until a comment or "No comment").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dialogs as dl
from bot.errors import InvalidInput
from bot.messages import Button, Reply
from dialogs.model import QuestionNode
from storage.repos.feedback import ANSWERS

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn

__all__ = [
    "FEEDBACK_TOKEN",
    "feedback_offer",
    "on_feedback_button",
    "on_feedback_comment",
    "track_choice",
    "track_outputs",
]

FEEDBACK_TOKEN = "fb"
_NO_COMMENT = "skip"
_EMERGENCY = "emergency"


def track_choice(core: ChatCore, turn: Turn, state: dl.SessionState, option_id: str) -> None:
    """Before the engine steps: remember that this option means someone may be in danger."""
    dialog = core.dialogs.source().get(state.dialog_id, state.version)
    node = dialog.nodes.get(state.node) if dialog is not None else None
    if isinstance(node, QuestionNode) and any(o.id == option_id and o.risk for o in node.options):
        turn.session.feedback["risk"] = True


def _help_reached(outputs: Sequence[object]) -> bool:
    return any(
        isinstance(o, dl.PageContact)
        or (isinstance(o, dl.ShowContacts) and (o.urgent or _EMERGENCY in o.roles))
        for o in outputs
    )


def track_outputs(turn: Turn, outputs: Sequence[object]) -> None:
    """A page or an emergency screen: help was reached (a risk path is covered)."""
    if _help_reached(outputs):
        turn.session.feedback.pop("risk", None)


def feedback_offer(core: ChatCore, turn: Turn, result: dl.StepResult, reason: str) -> Reply | None:
    """The question under a dialog that just ended, when it may be asked (see the module)."""
    session = turn.session
    state = result.state
    asked = (
        reason == "completed"
        and state is not None
        and not session.preview
        and not session.pending  # a case to pick for a note comes first, alone
        and not session.feedback.get("risk")
        and not _help_reached(result.outputs)
    )
    session.feedback = {}
    if not asked or state is None:
        return None
    session.feedback["offer"] = {
        "dialog": state.dialog_id,
        "version": state.version,
        "lang": state.lang,
    }
    labels = [core.catalog.text(turn.lang, f"feedback_{answer}") for answer in ANSWERS]
    buttons = tuple(
        Button(label, f"{FEEDBACK_TOKEN}.{session.sid}.{answer}")
        for label, answer in zip(labels, ANSWERS, strict=True)
    )
    return Reply(core.catalog.text(turn.lang, "feedback_question"), buttons)


async def on_feedback_button(core: ChatCore, turn: Turn, token: str) -> list[Reply]:
    """Yes / Partly / No (stored at once), or "No comment"."""
    _kind, _, rest = token.partition(".")
    sid, _, answer = rest.partition(".")
    session = turn.session
    offer = session.feedback.get("offer")
    if answer == _NO_COMMENT and sid == session.sid and session.feedback.get("comment_for"):
        session.feedback = {}
        return [core.text(turn, "feedback_thanks")]
    if sid != session.sid or not isinstance(offer, dict) or answer not in ANSWERS:
        return core.expired(turn)
    feedback_id = await core.backend.give_feedback(
        turn.actor.practitioner_id,
        str(offer["dialog"]),
        int(offer["version"]),
        str(offer["lang"]),
        answer,
    )
    session.feedback = {"comment_for": feedback_id}
    label = core.catalog.text(turn.lang, "feedback_no_comment")
    skip = Button(label, f"{FEEDBACK_TOKEN}.{session.sid}.{_NO_COMMENT}")
    return [Reply(core.catalog.text(turn.lang, "feedback_comment_ask"), (skip,))]


async def on_feedback_comment(core: ChatCore, turn: Turn, text: str) -> list[Reply] | None:
    """The one message typed after an answer, taken as its comment (None: not waiting)."""
    session = turn.session
    feedback_id = session.feedback.get("comment_for")
    if not isinstance(feedback_id, str) or session.engine is not None or session.pending:
        return None
    try:
        await core.backend.comment_feedback(turn.actor.practitioner_id, feedback_id, text)
    except InvalidInput as exc:  # too long: say so, and let them type it again
        return [core.refusal(turn, exc, "invalid_input")]
    session.feedback = {}
    return [core.text(turn, "feedback_comment_saved")]
