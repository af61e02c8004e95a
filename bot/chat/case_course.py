"""The case's course in chat (issue 16): one entry for the chat service, handing each command
and button to its flow: `/release` and `/handover` with the checklist buttons `ho.`
(`bot.chat.handover`), `/sharing` with its guidance button `sh.` (`bot.chat.sharing`), `/close`
with its confirmation buttons `cl.` (`bot.chat.closing`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.chat.closing import CLOSE_TOKEN, CloseFlow
from bot.chat.handover import HANDOVER_TOKEN, HandoverFlow
from bot.chat.sharing import SHARING_TOKEN, OpenDialog, SharingFlow

if TYPE_CHECKING:
    from bot.chat.core import ChatCore, Turn
    from bot.messages import Reply

__all__ = ["CaseCourseFlow"]


class CaseCourseFlow:
    COMMANDS = frozenset({"release", "handover", "sharing", "close"})
    TOKENS = frozenset({HANDOVER_TOKEN, SHARING_TOKEN, CLOSE_TOKEN})

    def __init__(self, core: ChatCore, open_dialog: OpenDialog) -> None:
        self.handover = HandoverFlow(core)
        self.sharing = SharingFlow(core, open_dialog)
        self.closing = CloseFlow(core)

    async def command(self, turn: Turn, command: str, argument: str) -> list[Reply]:
        if command == "sharing":
            return await self.sharing.command(turn, argument)
        if command == "close":
            return await self.closing.command(turn, argument)
        return await self.handover.command(turn, command, argument)

    async def on_button(self, turn: Turn, token: str) -> list[Reply]:
        if token.startswith(f"{SHARING_TOKEN}."):
            return await self.sharing.on_button(turn, token)
        if token.startswith(f"{CLOSE_TOKEN}."):
            return await self.closing.on_button(turn, token)
        return await self.handover.on_button(turn, token)
