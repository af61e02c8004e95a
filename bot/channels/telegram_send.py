"""The Bot API calls Relais makes, each under the retry policy of `telegram_retry`.

`send` renders a neutral `Reply`: HTML-escaped text split at 4,096 characters, buttons as an
inline keyboard (one per row) on the last message, an attachment as a photo (.png) or a
document (its caption is the text when that fits in 1,024 characters). `answer` answers a
button press; `show_choice` edits the pressed menu to show the chosen option and drops its
keyboard. A 403 (or "chat not found") makes the result "unreachable" and calls
`on_unreachable(user_id)` for a private chat.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from telegram.constants import ParseMode
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

from bot.channels.base import SendResult
from bot.channels.telegram_retry import Outcome, RetryPolicy, call_with_retries
from bot.channels.telegram_text import CAPTION_LIMIT, TEXT_LIMIT, split_text, to_html, utf16_len
from bot.errors import RelaisError
from bot.messages import Button, Reply

__all__ = [
    "CHOICE_MARK",
    "BotCalls",
    "DownloadFailed",
    "OnUnreachable",
    "keyboard",
    "quiet_raw_call_warnings",
    "raw_keyboard",
]

_log = logging.getLogger(__name__)

_T = TypeVar("_T")

OnUnreachable = Callable[[str], Awaitable[None]]
CHOICE_MARK = "\n\n→ "
_RAW_NO_PREVIEW = {"is_disabled": True}
#: Text replies and the edit of a pressed menu go through `do_api_request`, which hands back
#: the Bot API's JSON as it is: PTB's `send_message` would build a Message object, and one per
#: button, from every answer only for Relais to read its message_id (0.17 ms a menu here).
RAW_SEND = "send_message"
RAW_EDIT = "edit_message_text"
#: the polling loop too: it keeps the Bot API's JSON of each update (bot.channels.telegram)
RAW_POLL = "get_updates"
MAX_DOWNLOAD = 20 * 1024 * 1024  # the Bot API's getFile limit


class DownloadFailed(RelaisError):
    """A file a user sent could not be fetched from Telegram."""


class BotCalls:
    def __init__(
        self,
        bot: Callable[[], ExtBot[None]],
        policy: RetryPolicy,
        *,
        max_in_flight: int,
        on_unreachable: OnUnreachable | None = None,
    ) -> None:
        self._bot = bot
        self._policy = policy
        # Requests in flight, queued here (FIFO, cheap) rather than in httpx's pool, whose
        # bookkeeping costs grow with the number of waiting requests.
        self._gate = asyncio.Semaphore(max_in_flight)
        self._on_unreachable = on_unreachable

    async def call(self, action: Callable[[], Awaitable[_T]], what: str) -> Outcome[_T]:
        return await call_with_retries(action, self._policy, what, self._gate)

    async def download(self, file_id: str, size: int, what: str) -> bytes:
        """A file a user sent (getFile, then the file URL); DownloadFailed when it cannot be."""
        if size > MAX_DOWNLOAD:
            raise DownloadFailed(f"file too big for the Bot API ({size} bytes > 20 MB)")
        bot = self._bot()

        async def download() -> bytes:
            file = await bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())

        outcome = await self.call(download, what)
        if outcome.status != "sent" or outcome.value is None:
            raise DownloadFailed(f"could not download the file: {outcome.detail}")
        return outcome.value

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        try:
            bot = self._bot()
            target = int(chat_id)
        except (RuntimeError, ValueError) as exc:
            return SendResult("failed", detail=str(exc))
        raw_markup = raw_keyboard(reply.buttons)
        chunks = split_text(reply.text)
        caption: str | None = None
        if reply.attachment is not None and utf16_len(reply.text) <= CAPTION_LIMIT:
            caption, chunks = (chunks[0] if chunks else None), []
        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1 and reply.attachment is None

            def send_text(chunk: str = chunk, last: bool = last) -> Awaitable[Any]:
                params: dict[str, Any] = {
                    "chat_id": target,
                    "text": to_html(chunk),
                    "parse_mode": ParseMode.HTML.value,
                    "link_preview_options": _RAW_NO_PREVIEW,
                }
                if last and raw_markup is not None:
                    params["reply_markup"] = raw_markup
                return bot.do_api_request(RAW_SEND, api_kwargs=params)

            steps.append(("sendMessage", send_text))
        if reply.attachment is not None:
            markup = keyboard(reply.buttons)
            file_name, data = reply.attachment
            html_caption = to_html(caption) if caption else None
            if file_name.lower().endswith(".png"):

                def send_file() -> Awaitable[Message]:
                    return bot.send_photo(
                        chat_id=target,
                        photo=data,
                        filename=file_name,
                        caption=html_caption,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )

                steps.append(("sendPhoto", send_file))
            else:

                def send_file() -> Awaitable[Message]:
                    return bot.send_document(
                        chat_id=target,
                        document=data,
                        filename=file_name,
                        caption=html_caption,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )

                steps.append(("sendDocument", send_file))
        result = SendResult("failed", detail="nothing to send")
        for method, step in steps:
            outcome: Outcome[Any] = await self.call(step, f"{method} to chat {chat_id}")
            if outcome.status == "unreachable":
                await self._unreachable(chat_id)
                return SendResult("unreachable", detail=outcome.detail)
            if outcome.status == "failed" or outcome.value is None:
                return SendResult("failed", detail=outcome.detail)
            result = SendResult("sent", message_id=str(_message_id(outcome.value)))
        return result

    async def _unreachable(self, chat_id: str) -> None:
        if self._on_unreachable is None or chat_id.startswith("-"):
            return  # groups are not people
        try:
            await self._on_unreachable(chat_id)
        except Exception:
            _log.exception("on_unreachable failed for user %s", chat_id)

    async def answer(self, query: CallbackQuery, update_id: int) -> None:
        bot = self._bot()
        outcome = await self.call(
            lambda: bot.answer_callback_query(query.id),
            f"answerCallbackQuery {update_id}",
        )
        if outcome.status != "sent":
            _log.warning("button press %s not answered: %s", update_id, outcome.detail)

    async def show_choice(self, query: CallbackQuery) -> None:
        """Edit the menu that was pressed: its text gains the chosen option, its keyboard goes."""
        message = query.message
        if not isinstance(message, Message):
            return  # too old to be accessible: nothing to edit
        bot = self._bot()
        label = _label_for(message, query.data)
        text = message.text
        what = f"edit of message {message.message_id} in chat {message.chat.id}"
        if text and label and utf16_len(text + CHOICE_MARK + label) <= TEXT_LIMIT:
            new_text = to_html(text + CHOICE_MARK + label)

            async def edit() -> Any:
                return await bot.do_api_request(
                    RAW_EDIT,
                    api_kwargs={
                        "chat_id": message.chat.id,
                        "message_id": message.message_id,
                        "text": new_text,
                        "parse_mode": ParseMode.HTML.value,
                        "link_preview_options": _RAW_NO_PREVIEW,
                    },
                )

        else:

            async def edit() -> Any:
                return await bot.edit_message_reply_markup(
                    chat_id=message.chat.id, message_id=message.message_id, reply_markup=None
                )

        outcome = await self.call(edit, what)
        if outcome.status != "sent" and "not modified" not in outcome.detail:
            _log.warning("%s failed: %s", what, outcome.detail)


def raw_keyboard(buttons: Sequence[Button]) -> dict[str, Any] | None:
    """The inline keyboard as Bot API JSON (one button a row)."""
    if not buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": button.label, "callback_data": button.token}] for button in buttons
        ]
    }


def _message_id(sent: Any) -> Any:
    """The id of a sent message: from the raw JSON of `do_api_request` or a PTB Message."""
    if isinstance(sent, dict):
        return sent["message_id"]
    return sent.message_id


def quiet_raw_call_warnings() -> None:
    """Silence PTB's advice to use `send_message`/`edit_message_text` rather than
    `do_api_request` for those methods (called when the channel starts)."""
    warnings.filterwarnings(
        "ignore",
        message=rf"Please use 'Bot\.({RAW_SEND}|{RAW_EDIT}|{RAW_POLL})'",
        category=PTBUserWarning,
    )


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(button.label, callback_data=button.token)] for button in buttons]
    )


def _label_for(message: Message, data: str | None) -> str:
    markup = message.reply_markup
    if markup is None or data is None:
        return ""
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return ""
