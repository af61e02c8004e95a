"""How the Telegram channel answers one update: run the handler, send its replies in order.

Every button press is answered (`answerCallbackQuery`, sent while the handler runs), even when
the handler fails, and a reply with `answers_button` edits the pressed menu to show the choice
(while that reply is being sent); both are done before the chat's next update. A handler that
fails gets the error notice as its reply; its traceback is logged without the exception's
message (it could quote what was typed).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable

from telegram import CallbackQuery, Update

from bot.channels.base import Handler
from bot.channels.telegram_send import BotCalls
from bot.messages import Incoming, Reply

__all__ = ["answer_update"]

_log = logging.getLogger(__name__)


async def answer_update(
    calls: BotCalls,
    handler: Handler,
    chat_id: str,
    update: Update,
    incoming: Incoming,
    *,
    error_notice: str,
) -> None:
    """Handle `update` (seen as `incoming`) of the chat `chat_id` and send the replies."""
    query = update.callback_query
    if query is None:
        await _respond(calls, handler, chat_id, update, incoming, error_notice)
        return
    # A button press: answerCallbackQuery runs while the handler works, and the edit of the
    # pressed menu while the replies are sent (each is a round trip to Telegram). Both end
    # before the next update of the chat. Nothing in the group raises (`_logged`), so no
    # failure cancels the rest; a cancellation (shutdown) cancels and awaits all of it.
    async with asyncio.TaskGroup() as side:
        answer = calls.answer(query, update.update_id)
        side.create_task(_logged(answer, "answerCallbackQuery", update))
        replies = _respond(calls, handler, chat_id, update, incoming, error_notice, (query, side))
        await _logged(replies, "replies", update)


async def _respond(
    calls: BotCalls,
    handler: Handler,
    chat_id: str,
    update: Update,
    incoming: Incoming,
    error_notice: str,
    press: tuple[CallbackQuery, asyncio.TaskGroup] | None = None,
) -> None:
    """Run the handler and send its replies in order. For a button `press` (the query and
    its task group), the first reply that answers the pressed button starts the edit of the
    pressed menu in that group, beside the sends."""
    try:
        replies = await handler(incoming)
    except Exception as exc:
        # The traceback without the exception's message (it could quote what was typed).
        frames = "".join(traceback.format_tb(exc.__traceback__))
        _log.error(
            "handler failed on update %s in chat %s: %s\n%s",
            update.update_id,
            chat_id,
            type(exc).__name__,
            frames,
        )
        replies = [Reply(error_notice, kind="alert")]
    for reply in replies:
        if press is not None and reply.answers_button and reply.answers_button == press[0].data:
            query, side = press
            edit = calls.show_choice(query)
            side.create_task(_logged(edit, "edit of the pressed menu", update))
            press = None  # the menu is edited once
        if not reply.text.strip() and reply.attachment is None:
            continue
        result = await calls.send(chat_id, reply)
        if result.status == "unreachable":
            break  # the rest cannot arrive either
        if result.status == "failed":
            _log.error("reply to update %s in chat %s lost", update.update_id, chat_id)


async def _logged(call: Awaitable[None], what: str, update: Update) -> None:
    """Await one part of handling a button press; an error is logged (types and frames
    only), never raised: it would cancel the other parts sharing its task group."""
    try:
        await call
    except Exception as exc:
        frames = "".join(traceback.format_tb(exc.__traceback__))
        _log.error(
            "%s for update %s failed: %s\n%s",
            what,
            update.update_id,
            type(exc).__name__,
            frames,
        )
