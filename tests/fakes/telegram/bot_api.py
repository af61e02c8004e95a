"""The Bot API as the bot sees it: each method's checks and answers, file downloads, webhook
deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.fakes.telegram.entities import parse_entities
from tests.fakes.telegram.model import (
    MAX_CAPTION,
    MAX_TEXT,
    BotMessage,
    Call,
    FakeBotApiError,
    bad,
    utf16_len,
)
from tests.fakes.telegram.requests import check_markup, normal_markup, read_params

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class BotApiMethods:
    """The HTTP side: one `_api_<method>` per Bot API method the bot calls (mixed into
    `FakeBotApi`, whose state they read and change)."""

    # -- the HTTP side ---------------------------------------------------------------------

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.content, content_type="application/octet-stream")

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params, files = await read_params(request)
        if method in self._delays:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._delays[method]):
                    await self._closed.wait()
        handler = getattr(self, f"_api_{method}", None)
        status, result, description, parameters = 200, None, "", None
        fault = self._faults[method].popleft() if self._faults.get(method) else None
        fault = fault or self._outage_fault(method)
        try:
            if fault is not None:
                raise FakeBotApiError(fault.status, fault.description, fault.parameters)
            if handler is None:
                raise FakeBotApiError(404, "Not Found")
            result = await handler(params, files)
        except FakeBotApiError as exc:
            status, description, parameters = exc.status, exc.description, exc.parameters
        self._calls.append(Call(method, params, status, result, description, time.monotonic()))
        self._notify()
        if status == 200:
            return web.json_response({"ok": True, "result": result})
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    # -- Bot API methods -------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any], files: Any) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getUpdates(self, params: dict[str, Any], files: Any) -> Any:
        if self.webhook["url"]:
            raise FakeBotApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # wakes (and terminates) an older long poll
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed_updates = list(allowed)
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise FakeBotApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            updates = self._take_updates(offset, limit, self._allowed_updates)
            remaining = deadline - time.monotonic()
            if updates or remaining <= 0 or self._closing:
                return updates
            event = self._changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await event.wait()

    async def _api_deleteWebhook(self, params: dict[str, Any], files: Any) -> Any:
        self.webhook = {"url": "", "secret_token": ""}
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _api_setWebhook(self, params: dict[str, Any], files: Any) -> Any:
        url = params.get("url") or ""
        secret = params.get("secret_token") or ""
        if secret and not _SECRET.match(secret):
            raise bad("secret token contains unallowed characters")
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": url, "secret_token": secret}
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"])
        if url:
            self._kick_webhook()
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any], files: Any) -> Any:
        return {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _target_chat(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise bad("chat not found")
        if chat_id not in self._chats and chat_id not in self._users:
            raise bad("chat not found")
        if chat_id in self._blocked:
            raise FakeBotApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _new_bot_message(
        self,
        chat_id: int,
        kind: str,
        raw_text: str,
        parse_mode: str | None,
        markup: dict[str, Any] | None,
        *,
        text: str,
        entities: list[dict[str, Any]],
        **extra: Any,
    ) -> BotMessage:
        """Record a message the bot sent (`text` and `entities`: `raw_text` parsed)."""
        self._message_ids[chat_id] += 1
        message = BotMessage(
            chat_id=chat_id,
            message_id=self._message_ids[chat_id],
            kind=kind,
            text=text,
            entities=entities,
            raw_text=raw_text,
            parse_mode=parse_mode,
            reply_markup=markup,
            sent_at=time.monotonic(),
            **extra,
        )
        self._bot_messages[(chat_id, message.message_id)] = message
        self._sent[chat_id].append(message)
        waiting = self._chat_changed.pop(chat_id, None)
        if waiting is not None:
            waiting.set()
        return message

    def _message_json(self, message: BotMessage) -> dict[str, Any]:
        chat = self._chats.get(message.chat_id) or {"id": message.chat_id, "type": "private"}
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": chat,
            "date": int(time.time()),
        }
        if message.kind == "text":
            body["text"] = message.text
            if message.entities:
                body["entities"] = message.entities
        else:
            if message.raw_text:
                body["caption"] = message.text
            file_info = {
                "file_id": f"sent{message.chat_id}_{message.message_id}",
                "file_unique_id": f"u{message.chat_id}_{message.message_id}",
                "file_size": len(message.content),
            }
            if message.kind == "photo":
                body["photo"] = [{**file_info, "width": 640, "height": 480}]
            else:
                body["document"] = {
                    **file_info,
                    "file_name": message.file_name,
                    "mime_type": message.mime_type,
                }
        if message.reply_markup and message.reply_markup.get("inline_keyboard"):
            body["reply_markup"] = message.reply_markup
        return body

    async def _api_sendMessage(self, params: dict[str, Any], files: Any) -> Any:
        chat_id = self._target_chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad("message text is empty")
        parse_mode = params.get("parse_mode") or None
        plain, entities = parse_entities(text, parse_mode)
        if not plain.strip():
            raise bad("message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise bad("message is too long")
        markup = check_markup(params.get("reply_markup"))
        message = self._new_bot_message(
            chat_id, "text", text, parse_mode, markup, text=plain, entities=entities
        )
        return self._message_json(message)

    async def _send_file(self, kind: str, params: dict[str, Any], files: Any) -> Any:
        chat_id = self._target_chat(params)
        field_name = "photo" if kind == "photo" else "document"
        value = params.get(field_name)
        upload = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        elif field_name in files:
            upload = files[field_name]
        elif isinstance(value, str) and value in self._files:
            stored = self._files[value]
            upload = (stored.file_name, stored.content, stored.mime_type)
        if upload is None:
            raise bad(f"there is no {field_name} in the request")
        file_name, content, mime_type = upload
        if not content:
            raise bad("file must be non-empty")
        caption = params.get("caption") or ""
        parse_mode = params.get("parse_mode") or None
        plain, entities = parse_entities(caption, parse_mode) if caption else ("", [])
        if utf16_len(plain) > MAX_CAPTION:
            raise bad("message caption is too long")
        markup = check_markup(params.get("reply_markup"))
        message = self._new_bot_message(
            chat_id,
            kind,
            caption,
            parse_mode,
            markup,
            text=plain,
            entities=entities,
            file_name=file_name,
            content=content,
            mime_type=mime_type,
        )
        return self._message_json(message)

    async def _api_sendDocument(self, params: dict[str, Any], files: Any) -> Any:
        return await self._send_file("document", params, files)

    async def _api_sendPhoto(self, params: dict[str, Any], files: Any) -> Any:
        return await self._send_file("photo", params, files)

    def _editable(self, params: dict[str, Any]) -> BotMessage:
        if params.get("inline_message_id"):
            raise bad("inline messages are not supported by the fake")
        chat_id = params.get("chat_id")
        message_id = params.get("message_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise bad("chat not found")
        if (chat_id, message_id) in self._user_messages:
            raise bad("message can't be edited")
        message = self._bot_messages.get((chat_id, message_id))  # type: ignore[arg-type]
        if message is None:
            raise bad("message to edit not found")
        return message

    async def _api_editMessageText(self, params: dict[str, Any], files: Any) -> Any:
        message = self._editable(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad("message text is empty")
        if message.kind != "text":
            raise bad("there is no text in the message to edit")
        parse_mode = params.get("parse_mode") or None
        plain, entities = parse_entities(text, parse_mode)
        if utf16_len(plain) > MAX_TEXT:
            raise bad("message is too long")
        markup = check_markup(params.get("reply_markup"))
        if plain == message.text and markup == normal_markup(message.reply_markup):
            raise bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.edits.append({"method": "editMessageText", "text": plain, "reply_markup": markup})
        message.text, message.raw_text, message.parse_mode = plain, text, parse_mode
        message.entities = entities
        message.reply_markup = markup
        return self._message_json(message)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any], files: Any) -> Any:
        message = self._editable(params)
        markup = check_markup(params.get("reply_markup"))
        if markup == normal_markup(message.reply_markup):
            raise bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.edits.append({"method": "editMessageReplyMarkup", "reply_markup": markup})
        message.reply_markup = markup
        return self._message_json(message)

    async def _api_deleteMessage(self, params: dict[str, Any], files: Any) -> Any:
        message = self._editable(params)
        message.edits.append({"method": "deleteMessage"})
        return True

    async def _api_answerCallbackQuery(self, params: dict[str, Any], files: Any) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._queries or query_id in self.callback_answers:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text") or ""
        if len(text) > 200:
            raise bad("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = {
            "text": text,
            "show_alert": bool(params.get("show_alert")),
        }
        return True

    async def _api_sendChatAction(self, params: dict[str, Any], files: Any) -> Any:
        self._target_chat(params)
        return True

    async def _api_setMyCommands(self, params: dict[str, Any], files: Any) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not _COMMAND.match(str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.match(r"^[a-z]{2}$", language):
            raise bad("LANG_CODE_INVALID")
        scope = (params.get("scope") or {}).get("type", "default")
        self._commands[(scope, language)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _api_getMyCommands(self, params: dict[str, Any], files: Any) -> Any:
        scope = (params.get("scope") or {}).get("type", "default")
        return self._commands.get((scope, params.get("language_code") or ""), [])

    async def _api_deleteMyCommands(self, params: dict[str, Any], files: Any) -> Any:
        scope = (params.get("scope") or {}).get("type", "default")
        self._commands.pop((scope, params.get("language_code") or ""), None)
        return True

    async def _api_getFile(self, params: dict[str, Any], files: Any) -> Any:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise bad("invalid file_id")
        if len(stored.content) > 20 * 1024 * 1024:
            raise bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.content),
            "file_path": stored.path,
        }

    async def _api_close(self, params: dict[str, Any], files: Any) -> Any:
        return True

    # -- webhook delivery ------------------------------------------------------------------

    def _kick_webhook(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhook())

    async def _deliver_webhook(self) -> None:
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            failures = 0
            while self._updates and self.webhook["url"] and not self._closing:
                update = self._updates[0]
                headers = {}
                if self.webhook["secret_token"]:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with session.post(
                        self.webhook["url"], json=update, headers=headers
                    ) as r:
                        status = r.status
                except OSError:
                    status = 0
                self.webhook_deliveries.append((update["update_id"], status))
                self._notify()
                if 200 <= status < 300:
                    failures = 0
                    if self._updates and self._updates[0] is update:
                        self._updates.pop(0)
                    continue
                failures += 1
                if failures > 20:
                    return
                await asyncio.sleep(0.05 * failures)  # Telegram's own retry back-off
