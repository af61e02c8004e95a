"""Telegram updates as neutral `Incoming` events.

    message            -> text (or a document's caption), document (documents and photos)
    callback_query     -> button = callback_data
    chat_id            = str(chat.id); user_id = str(from_user.id) (never the username)
    event_id           = str(update_id) (the chat layer processes each once)
    is_direct          = a private chat; encrypted = False (Telegram bot chats are not E2EE)
    confidential       = `confidential` (the operator's `[telegram] allow_case_notes`)

Other updates (edits, channel posts...) are not Relais' business: `to_incoming` returns None.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import Update

from bot.messages import Document, Incoming

__all__ = ["chat_key", "strip_mention", "to_incoming"]


def to_incoming(
    update: Update,
    *,
    now: datetime,
    bot_username: str,
    fetcher: Callable[[str, int, int], Callable[[], Awaitable[bytes]]],
    confidential: bool = False,
) -> Incoming | None:
    """The neutral view of an update; None for updates Relais does not handle.
    `fetcher(file_id, size, update_id)` makes a document's `fetch`."""
    event_id = str(update.update_id)
    query = update.callback_query
    if query is not None:
        message = query.message
        chat = message.chat if message is not None else None
        return Incoming(
            channel="telegram",
            chat_id=str(chat.id if chat is not None else query.from_user.id),
            user_id=str(query.from_user.id),
            event_id=event_id,
            received_at=now,
            button=query.data,
            is_direct=chat is None or chat.type == "private",
            encrypted=False,
            confidential=confidential,
            display_name=query.from_user.full_name,
        )
    message = update.message
    if message is None or message.from_user is None:
        return None
    text = message.text if message.text is not None else message.caption
    document = None
    if message.document is not None:
        doc = message.document
        document = Document(
            file_name=doc.file_name or "document",
            size=doc.file_size or 0,
            fetch=fetcher(doc.file_id, doc.file_size or 0, update.update_id),
            mime_type=doc.mime_type or "",
        )
    elif message.photo:
        photo = message.photo[-1]  # the largest size
        document = Document(
            file_name="photo.jpg",
            size=photo.file_size or 0,
            fetch=fetcher(photo.file_id, photo.file_size or 0, update.update_id),
            mime_type="image/jpeg",
        )
    return Incoming(
        channel="telegram",
        chat_id=str(message.chat.id),
        user_id=str(message.from_user.id),
        event_id=event_id,
        received_at=now,
        text=strip_mention(text, bot_username),
        document=document,
        is_direct=message.chat.type == "private",
        encrypted=False,
        confidential=confidential,
        display_name=message.from_user.full_name,
    )


def strip_mention(text: str | None, bot_username: str) -> str | None:
    """'/help@relais_bot args' -> '/help args' when the mention is this bot (groups)."""
    if not text or not text.startswith("/"):
        return text
    first, sep, rest = text.partition(" ")
    command, at, name = first.partition("@")
    if at and bot_username and name.lower() == bot_username.lower():
        return command + sep + rest
    return text


def chat_key(update: Update) -> str | None:
    if update.callback_query is not None:
        message = update.callback_query.message
        if message is not None:
            return str(message.chat.id)
        return str(update.callback_query.from_user.id)
    if update.message is not None and update.message.from_user is not None:
        return str(update.message.chat.id)
    return None
