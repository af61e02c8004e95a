"""The commands of features that live in a module of their own: `/name ARGUMENT` ->
`handler(core, turn, argument)`. `ChatService` routes these names here (one `case`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.chat.cards import card_command
from bot.chat.case_team import case_command, member_command
from bot.chat.feedback_view import show_feedback
from bot.chat.stats import stats_command
from bot.chat.studio import studio_command
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn

__all__ = ["FEATURE_COMMANDS"]

Handler = Callable[["ChatCore", "Turn", str], Awaitable[list[Reply]]]

FEATURE_COMMANDS: dict[str, Handler] = {
    "feedback": show_feedback,  # "Did this help?" answers (bot.chat.feedback_view)
    "stats": stats_command,  # usage figures (bot.chat.stats)
    "card": card_command,  # a crisis dialog's pocket card (bot.chat.cards)
    "studio": studio_command,  # a login link to Relais Studio (bot.chat.studio)
    "case": case_command,  # who does what on a case (bot.chat.case_team)
    "member": member_command,  # the owner puts someone on the case or off (bot.chat.case_team)
}
