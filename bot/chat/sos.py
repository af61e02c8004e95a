"""/sos ahead of the queue: the emergency contacts while the chat's previous message is still
being handled.

A chat's messages are handled one at a time (the per-chat lock of `ChatService.handle`, and
before it the channel's per-chat queue). When a turn is slow (a draft's tests running, a slow
database), a `/sos` typed in the same chat would wait behind it. `bot.messages.is_sos` lets the
channels and the chat layer see it (typed, or the emergency button); `express_sos` answers it
without waiting for the chat's lock: the emergency contacts (for the conversation's case) and a
line saying the previous message's answer follows. It reads the conversation and changes
nothing in it, so it cannot race the turn in progress; the ordinary `/sos` (when nothing is in
progress) also re-shows the current question.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.chat.catalog import LANGUAGES
from bot.chat.core import Turn
from bot.chat.session import ChatSession
from bot.messages import Incoming, Reply

if TYPE_CHECKING:
    from bot.chat.service import ChatService

__all__ = ["SOS_COMMAND_ROLES", "express_sos"]

logger = logging.getLogger(__name__)

#: what /sos shows: the engine's in-dialog contacts (dialogs.SOS_EVENT_ROLES) and the case owner
SOS_COMMAND_ROLES = ("emergency", "on_call_psychologist", "case_owner")


async def express_sos(service: ChatService, incoming: Incoming) -> list[Reply]:
    """The contacts for `/sos` while another message of the chat is being handled."""
    default = service.config.default_language
    try:
        start = await service.backend.begin_turn(
            incoming.channel, incoming.user_id, incoming.chat_id, incoming.event_id
        )
        if not start.first_time:
            return []
        if not incoming.is_direct:
            return [Reply(service.catalog.text(default, "not_direct"))]
        if incoming.encryption_required and not incoming.encrypted:
            return [Reply(service.catalog.text(default, "not_encrypted"))]
        actor = start.actor
        if actor is None:
            return [Reply(service.catalog.text(default, "unknown_user"))]
        lang = actor.language if actor.language in LANGUAGES else default
        stored = start.session
        session = ChatSession.from_dict(stored.state if stored is not None else None)
        turn = Turn(incoming, actor, lang, session, stored.id if stored is not None else None)
        service.core.usage.sos(turn)  # a referral: an emergency screen reached by /sos
        contacts = await service.dialog_flow.contacts_reply(turn, SOS_COMMAND_ROLES, urgent=True)
        return [contacts, Reply(service.catalog.text(lang, "sos_while_busy"))]
    except Exception as exc:  # never a traceback to the chat, never the text in the log
        logger.error(
            "express /sos on %s update %s failed: %s",
            incoming.channel,
            incoming.event_id,
            type(exc).__name__,
        )
        return [Reply(service.catalog.text(default, "error"), kind="alert")]
