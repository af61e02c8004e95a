# ruff: noqa: ASYNC109  (the test API takes `timeout=` on purpose: `await fake.next_message(42, timeout=5)`)
"""A fake Telegram Bot API server for tests and benchmarks (aiohttp, loopback, random port).

It speaks the Bot API's JSON (`{"ok": true, "result": ...}` / `{"ok": false, "error_code": ...,
"description": ..., "parameters": {...}}`) so python-telegram-bot talks to it through its real
HTTP stack: point `base_url` / `base_file_url` at it.

    async with FakeBotApi() as fake:
        channel = TelegramChannel(fake.config(), fake.token)
        await channel.start(handler)
        await fake.user_says(42, "/start ABC")              # a user types (chat 42 = user 42)
        msg = await fake.next_message(42, timeout=5)         # what the bot sent, in order
        assert msg.text == "Welcome" and msg.labels == ["Yes", "No"]
        await fake.click(msg, "Yes")                         # press a button (callback_query)
        await fake.wait_answered(...)                        # answerCallbackQuery seen
        fake.fail_next("sendMessage", 429, retry_after=1)    # inject a fault
        fake.block(42)                                       # 403 "bot was blocked by the user"
        fake.delay("answerCallbackQuery", 1.0)               # a slow round trip

Users act through `user_says`, `press`, `click`, `user_sends_document` (each queues an update
for `getUpdates`, or pushes it to the webhook when one is set). Everything the bot does is
recorded (`calls()`, `wait_call()`); every message the bot sent is a `BotMessage` that tracks
its edits. `next_message(chat_id)` returns the bot's messages to a chat one by one, in order,
waiting (on an event, never a sleep loop) up to `timeout`; `assert_no_unread()` fails on any
message a test did not look at. See tests/telegram/README.md for the whole control API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import BodyPartReader, ClientSession, ClientTimeout, web

__all__ = ["BotMessage", "Call", "FakeBotApi", "FakeBotApiError", "UpdateRef"]

_T = TypeVar("_T")

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
}
_INT_FIELDS = {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections"}
_BOOL_FIELDS = {"drop_pending_updates", "show_alert", "disable_notification"}
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")
_HTML_SPECIAL = re.compile(r"[<&]")
_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_SPECIAL = re.compile("[" + re.escape("\\" + "".join(sorted(_MDV2_RESERVED))) + "]")
_MD_MARKER = re.compile("[*_`]")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class FakeBotApiError(Exception):
    """A Bot API error the fake answers with (status, description, parameters)."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad(description: str) -> FakeBotApiError:
    return FakeBotApiError(400, f"Bad Request: {description}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One request the bot made: method, decoded parameters, HTTP status, answer, when."""

    method: str
    params: dict[str, Any]
    status: int
    result: Any
    description: str
    at: float  # time.monotonic()

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class BotMessage:
    """A message the bot sent, with its current state (edits applied) and its edit history."""

    chat_id: int
    message_id: int
    kind: str  # "text" | "document" | "photo"
    text: str  # what the user sees (entities parsed); the caption for files
    raw_text: str  # what the bot sent (e.g. with HTML tags and escapes)
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    file_name: str = ""
    content: bytes = b""
    mime_type: str = ""
    edits: list[dict[str, Any]] = field(default_factory=list)
    sent_at: float = 0.0
    #: the entities parsed from `raw_text` (what Telegram reports with a text message)
    entities: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]

    @property
    def rows(self) -> list[list[str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [[b.get("text", "") for b in row] for row in rows]

    @property
    def labels(self) -> list[str]:
        return [label for label, _ in self.buttons]

    def data_for(self, label: str) -> str:
        for text, data in self.buttons:
            if text == label:
                return data
        raise AssertionError(
            f"no button labelled {label!r} on message {self.message_id}: {self.labels}"
        )


@dataclass(frozen=True)
class UpdateRef:
    """What a simulated user action created."""

    update_id: int
    message_id: int | None = None
    callback_query_id: str | None = None
    file_id: str | None = None


@dataclass
class _Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None


@dataclass
class _StoredFile:
    file_id: str
    unique_id: str
    path: str
    content: bytes
    file_name: str
    mime_type: str


class FakeBotApi:
    """The fake server. Use `async with FakeBotApi() as fake` or `start()`/`stop()`."""

    def __init__(
        self,
        token: str = "123456789:TEST-fake-token_abcdefghijklmnopq",
        *,
        bot_username: str = "relais_test_bot",
        bot_name: str = "Relais (test)",
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._changed = asyncio.Event()  # set (and replaced) on every change
        self._chat_changed: dict[int, asyncio.Event] = {}  # a new bot message in that chat
        self._closing = False
        self._closed = asyncio.Event()  # set by stop(): cuts injected delays short
        # updates
        self._next_update_id = 700_000_001
        self._updates: list[dict[str, Any]] = []
        self._poll_generation = 0
        self.confirmed_offset = 0
        self._allowed_updates: list[str] | None = None
        # chats, messages, files
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._message_ids: dict[int, int] = defaultdict(int)
        self._bot_messages: dict[tuple[int, int], BotMessage] = {}
        self._user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._sent: dict[int, list[BotMessage]] = defaultdict(list)
        self._read: dict[int, int] = defaultdict(int)
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._blocked: set[int] = set()
        # callback queries
        self._queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        # commands, webhook, faults, record
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {"url": "", "secret_token": ""}
        self.webhook_deliveries: list[tuple[int, int]] = []
        self._webhook_task: asyncio.Task[None] | None = None
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._delays: dict[str, float] = {}
        self._outages: dict[str, tuple[float, int, float | None]] = {}  # seconds, status, end
        self._calls: list[Call] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing = True
        self._closed.set()
        self._notify()
        if self._webhook_task:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """For PTB's `base_url` (the token is appended)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def config(self, **overrides: Any) -> Any:
        """A `bot.config.TelegramConfig` pointing at this server (short long-poll timeout)."""
        from bot.config import TelegramConfig

        values: dict[str, Any] = {
            "enabled": True,
            "base_url": self.base_url,
            "base_file_url": self.base_file_url,
            "poll_timeout": 2,
        }
        values.update(overrides)
        return TelegramConfig(**values)

    # -- simulated users -------------------------------------------------------------------

    def _user(self, user_id: int, first_name: str | None, username: str | None) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
            if username:
                user["username"] = username
            user["language_code"] = "en"
            self._users[user_id] = user
        return user

    def _chat(self, chat_id: int, user: dict[str, Any]) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            else:
                chat = {"id": chat_id, "type": "group", "title": f"Group {-chat_id}"}
            self._chats[chat_id] = chat
        return chat

    def _user_message(
        self,
        chat_id: int,
        user_id: int | None,
        first_name: str | None,
        username: str | None,
        extra: dict[str, Any],
    ) -> dict[str, Any]:
        uid = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        user = self._user(uid, first_name, username)
        chat = self._chat(chat_id, user)
        self._message_ids[chat_id] += 1
        message = {
            "message_id": self._message_ids[chat_id],
            "from": user,
            "chat": chat,
            "date": int(time.time()),
            **extra,
        }
        self._user_messages[(chat_id, message["message_id"])] = message
        return message

    async def user_says(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str | None = None,
        username: str | None = None,
    ) -> UpdateRef:
        """A user sends `text` in `chat_id` (a private chat when chat_id > 0: user id = chat id).
        Commands get a `bot_command` entity like Telegram's."""
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0] if text.split() else text
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self._user_message(chat_id, user_id, first_name, username, extra)
        update_id = self._add_update({"message": message})
        return UpdateRef(update_id, message_id=message["message_id"])

    async def user_sends_document(
        self,
        chat_id: int,
        file_name: str,
        content: bytes,
        *,
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        user_id: int | None = None,
    ) -> UpdateRef:
        stored = self.add_file(content, file_name=file_name, mime_type=mime_type)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": file_name,
            "mime_type": mime_type,
            "file_size": len(content),
        }
        extra: dict[str, Any] = {"document": document}
        if caption is not None:
            extra["caption"] = caption
        message = self._user_message(chat_id, user_id, None, None, extra)
        update_id = self._add_update({"message": message})
        return UpdateRef(update_id, message_id=message["message_id"], file_id=stored.file_id)

    async def press(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        user_id: int | None = None,
        check: bool = True,
    ) -> UpdateRef:
        """A user presses the inline button carrying `callback_data` on a bot message.

        With `check` (default) the button must be on the message's current keyboard, as in the
        real client; `check=False` sends any data (a forged or long-gone button)."""
        message = self._bot_messages.get((chat_id, message_id))
        if message is None:
            raise AssertionError(f"the bot sent no message {message_id} in chat {chat_id}")
        if check and callback_data not in [data for _, data in message.buttons]:
            raise AssertionError(
                f"message {message_id} in chat {chat_id} has no button with data "
                f"{callback_data!r} (buttons now: {message.buttons})"
            )
        uid = user_id if user_id is not None else (chat_id if chat_id > 0 else 1000)
        user = self._user(uid, None, None)
        query_id = f"{self.bot_id}{len(self._queries) + 1:08d}"
        query = {
            "id": query_id,
            "from": user,
            "message": self._message_json(message),
            "chat_instance": f"ci{chat_id}",
            "data": callback_data,
        }
        self._queries[query_id] = query
        update_id = self._add_update({"callback_query": query})
        return UpdateRef(update_id, message_id=message_id, callback_query_id=query_id)

    async def click(self, message: BotMessage, label: str, **kwargs: Any) -> UpdateRef:
        """Press the button labelled `label` on `message` (as it is now)."""
        current = self.message(message.chat_id, message.message_id)
        return await self.press(
            message.chat_id, message.message_id, current.data_for(label), **kwargs
        )

    def add_user(self, user_id: int, first_name: str | None = None) -> None:
        """A user who has opened a private chat with the bot (so the bot may write first),
        without sending anything yet."""
        self._chat(user_id, self._user(user_id, first_name, None))

    def block(self, user_id: int) -> None:
        """The user blocks the bot: every send to their chat answers 403."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def add_file(
        self, content: bytes, *, file_name: str = "file", mime_type: str = ""
    ) -> _StoredFile:
        n = len(self._files) + 1
        folder = "photos" if mime_type.startswith("image/") else "documents"
        suffix = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = _StoredFile(
            file_id=f"BQACAgQAAx{n:06d}FAKE",
            unique_id=f"AgAD{n:06d}",
            path=f"{folder}/file_{n}.{suffix}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.path] = stored
        return stored

    # -- faults ----------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """The next `times` calls of `method` fail with `status` (429 carries `retry_after`)."""
        parameters = None
        if status == 429:
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        elif status == 403:
            description = description or "Forbidden: bot was blocked by the user"
        elif status == 400:
            description = description or "Bad Request: injected"
        elif status == 502:
            description = description or "Bad Gateway"
        else:
            description = description or "Internal Server Error"
        for _ in range(times):
            self._faults[method].append(_Fault(status, description, parameters))

    def outage(self, method: str, seconds: float, status: int = 500) -> None:
        """An outage of `method`: from its next call on, every call for `seconds` fails with
        `status` (5xx: the Bot API having a bad moment)."""
        self._outages[method] = (seconds, status, None)

    def _outage_fault(self, method: str) -> _Fault | None:
        if method not in self._outages:
            return None
        seconds, status, end = self._outages[method]
        now = time.monotonic()
        if end is None:
            end = now + seconds
            self._outages[method] = (seconds, status, end)
        if now >= end:
            del self._outages[method]
            return None
        return _Fault(status, "Internal Server Error" if status == 500 else "Bad Gateway", None)

    def delay(self, method: str, seconds: float) -> None:
        """Every later call of `method` takes `seconds` more (a slow round trip): the fake waits
        that long before it handles the request, so its effect and its `Call` come late too.
        `delay(method, 0)` removes it."""
        if seconds > 0:
            self._delays[method] = seconds
        else:
            self._delays.pop(method, None)

    # -- observing the bot -----------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self._calls if method is None or c.method == method]

    def sent(self, chat_id: int) -> list[BotMessage]:
        """Every message the bot sent to the chat (current state, edits applied)."""
        return list(self._sent[chat_id])

    def message(self, chat_id: int, message_id: int) -> BotMessage:
        try:
            return self._bot_messages[(chat_id, message_id)]
        except KeyError:
            raise AssertionError(
                f"the bot sent no message {message_id} in chat {chat_id}"
            ) from None

    def unread(self, chat_id: int | None = None) -> list[BotMessage]:
        chats = [chat_id] if chat_id is not None else list(self._sent)
        return [m for c in chats for m in self._sent[c][self._read[c] :]]

    def assert_no_unread(self) -> None:
        left = self.unread()
        assert not left, "the bot sent messages no test looked at: " + "; ".join(
            f"chat {m.chat_id}: {m.text[:60]!r}" for m in left
        )

    def commands(self, language_code: str = "", scope: str = "default") -> list[tuple[str, str]]:
        stored = self._commands.get((scope, language_code), [])
        return [(c["command"], c["description"]) for c in stored]

    def answered(self, callback_query_id: str) -> bool:
        return callback_query_id in self.callback_answers

    @property
    def polls_started(self) -> int:
        """How many getUpdates requests reached the server (finished or still waiting)."""
        return self._poll_generation

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    async def next_message(self, chat_id: int, timeout: float = 5.0) -> BotMessage:
        """The next message (in send order) the bot sent to `chat_id` that no test has taken."""

        def ready() -> BotMessage | None:
            sent = self._sent[chat_id]
            if self._read[chat_id] < len(sent):
                self._read[chat_id] += 1
                return sent[self._read[chat_id] - 1]
            return None

        return await self._wait(
            ready,
            timeout,
            f"a message from the bot to chat {chat_id}",
            lambda: self._chat_event(chat_id),
        )

    async def next_messages(
        self, chat_id: int, count: int, timeout: float = 5.0
    ) -> list[BotMessage]:
        async with asyncio.timeout(timeout):
            return [await self.next_message(chat_id, timeout) for _ in range(count)]

    async def wait_call(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait until the bot made at least `count` calls of `method` (matching `where`)."""

        def ready() -> list[Call] | None:
            found = [c for c in self.calls(method) if where is None or where(c)]
            return found if len(found) >= count else None

        return await self._wait(ready, timeout, f"{count} call(s) of {method}")

    async def wait_edited(
        self, chat_id: int, message_id: int, *, count: int = 1, timeout: float = 5.0
    ) -> BotMessage:
        """The bot message once it has been edited (or deleted) at least `count` times."""
        message = self.message(chat_id, message_id)
        await self._wait(
            lambda: len(message.edits) >= count,
            timeout,
            f"{count} edit(s) of message {message_id} in chat {chat_id}",
        )
        return message

    async def wait_answered(self, callback_query_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return await self._wait(
            lambda: self.callback_answers.get(callback_query_id),
            timeout,
            f"answerCallbackQuery for {callback_query_id}",
        )

    async def wait_for(
        self, predicate: Callable[[], _T | None], timeout: float = 5.0, what: str = "condition"
    ) -> _T:
        """Wait until `predicate()` returns something other than None/False (re-checked after
        every request the bot makes and every simulated user action)."""
        return await self._wait(predicate, timeout, what)

    async def _wait(
        self,
        ready: Callable[[], _T | None],
        timeout: float,
        what: str,
        changed: Callable[[], asyncio.Event] | None = None,
    ) -> _T:
        """Re-check `ready()` whenever the event `changed()` is set (by default: any change)."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    result = ready()
                    if result is not None and result is not False:
                        return result
                    await (changed() if changed is not None else self._changed).wait()
        except TimeoutError:
            recent = ", ".join(
                f"{c.method}->{c.status}" for c in self._calls[-12:] if c.method != "getUpdates"
            )
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; recent bot calls: {recent}"
            ) from None

    def _notify(self) -> None:
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    def _chat_event(self, chat_id: int) -> asyncio.Event:
        """Set when the bot sends a message to `chat_id` (only `next_message` waits on it: with
        many simulated users each waiting for their own chat, a send wakes one of them)."""
        event = self._chat_changed.get(chat_id)
        if event is None:
            event = self._chat_changed[chat_id] = asyncio.Event()
        return event

    # -- updates ---------------------------------------------------------------------------

    def _add_update(self, body: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **body})
        self._notify()
        if self.webhook["url"]:
            self._kick_webhook()
        return update_id

    def _take_updates(
        self, offset: int | None, limit: int, allowed: list[str] | None
    ) -> list[Any]:
        if offset:
            if offset > 0:
                self.confirmed_offset = max(self.confirmed_offset, offset)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            else:
                self._updates = self._updates[offset:]
        kinds = allowed or ["message", "edited_message", "callback_query"]
        self._updates = [u for u in self._updates if any(k in u for k in kinds)]
        return self._updates[: max(1, min(limit, 100))]

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
        params, files = await _read_params(request)
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
            raise _bad("secret token contains unallowed characters")
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
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
            raise _bad("chat not found")
        if chat_id not in self._chats and chat_id not in self._users:
            raise _bad("chat not found")
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
            raise _bad("message text is empty")
        parse_mode = params.get("parse_mode") or None
        plain, entities = parse_entities(text, parse_mode)
        if not plain.strip():
            raise _bad("message text is empty")
        if utf16_len(plain) > MAX_TEXT:
            raise _bad("message is too long")
        markup = _check_markup(params.get("reply_markup"))
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
            raise _bad(f"there is no {field_name} in the request")
        file_name, content, mime_type = upload
        if not content:
            raise _bad("file must be non-empty")
        caption = params.get("caption") or ""
        parse_mode = params.get("parse_mode") or None
        plain, entities = parse_entities(caption, parse_mode) if caption else ("", [])
        if utf16_len(plain) > MAX_CAPTION:
            raise _bad("message caption is too long")
        markup = _check_markup(params.get("reply_markup"))
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
            raise _bad("inline messages are not supported by the fake")
        chat_id = params.get("chat_id")
        message_id = params.get("message_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        if (chat_id, message_id) in self._user_messages:
            raise _bad("message can't be edited")
        message = self._bot_messages.get((chat_id, message_id))  # type: ignore[arg-type]
        if message is None:
            raise _bad("message to edit not found")
        return message

    async def _api_editMessageText(self, params: dict[str, Any], files: Any) -> Any:
        message = self._editable(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _bad("message text is empty")
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        parse_mode = params.get("parse_mode") or None
        plain, entities = parse_entities(text, parse_mode)
        if utf16_len(plain) > MAX_TEXT:
            raise _bad("message is too long")
        markup = _check_markup(params.get("reply_markup"))
        if plain == message.text and markup == _normal(message.reply_markup):
            raise _bad(
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
        markup = _check_markup(params.get("reply_markup"))
        if markup == _normal(message.reply_markup):
            raise _bad(
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
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text") or ""
        if len(text) > 200:
            raise _bad("MESSAGE_TOO_LONG")
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
            raise _bad("commands must be an array of at most 100 BotCommand")
        for command in commands:
            if not _COMMAND.match(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        language = params.get("language_code") or ""
        if language and not re.match(r"^[a-z]{2}$", language):
            raise _bad("LANG_CODE_INVALID")
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
            raise _bad("invalid file_id")
        if len(stored.content) > 20 * 1024 * 1024:
            raise _bad("file is too big")
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


# -- helpers ------------------------------------------------------------------------------


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Any]]:
    params: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes, str]] = {}
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            filename = part.filename
            data = await part.read()
            if filename:
                ctype = part.headers.get("Content-Type", "application/octet-stream")
                files[name] = (filename, bytes(data), ctype)
            else:
                params[name] = bytes(data).decode("utf-8")
    elif request.can_read_body:
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key, value in list(params.items()):
        if not isinstance(value, str):
            continue
        if key in _JSON_FIELDS:
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
        elif key in _INT_FIELDS:
            with contextlib.suppress(ValueError):
                params[key] = int(value)
        elif key in _BOOL_FIELDS:
            params[key] = value.lower() in ("true", "1")
    return params, files


def _normal(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    if not markup or not markup.get("inline_keyboard"):
        return None
    return markup


def _check_markup(markup: Any) -> dict[str, Any] | None:
    """Validate an inline keyboard like Telegram does (callback_data 1-64 bytes...)."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None  # reply keyboards etc.: accepted, not modelled
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise _bad(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise _bad("BUTTON_TEXT_INVALID")
            kinds = [k for k in button if k != "text"]
            if len(kinds) != 1:
                raise _bad(
                    "can't parse inline keyboard button: exactly one optional field must be used"
                )
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_DATA:
                    raise _bad("BUTTON_DATA_INVALID")
            elif "url" in button and not str(button["url"]).startswith(("http", "tg://")):
                raise _bad("BUTTON_URL_INVALID")
    return _normal(markup)


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Roughly what Telegram does with a parse mode: the plain text and its entities, or a 400
    'can't parse entities' error for malformed markup."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _parse_html(text)
    if mode == "markdownv2":
        return _parse_markdown_v2(text)
    if mode == "markdown":
        return _parse_markdown(text)
    raise _bad(f"unsupported parse_mode {parse_mode!r}")


def _cant_parse(detail: str) -> FakeBotApiError:
    return _bad(f"can't parse entities: {detail}")


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    # Runs of plain text between tags and character references are copied (and measured in
    # UTF-16 units) whole; byte offsets are only computed for an error message.
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, str]] = []
    length = 0  # UTF-16 units of `out`
    i = 0
    size = len(text)
    while i < size:
        special = _HTML_SPECIAL.search(text, i)
        stop = special.start() if special else size
        if stop > i:
            run = text[i:stop]
            out.append(run)
            length += len(run) if run.isascii() else utf16_len(run)
            i = stop
            if i == size:
                break
        if text[i] == "<":
            end = text.find(">", i)
            if end == -1:
                raise _cant_parse(
                    f"Can't find end of the tag at byte offset {_byte_offset(text, i)}"
                )
            tag = text[i + 1 : end].strip()
            if tag.startswith("/"):
                name = tag[1:].strip().lower()
                if not stack or stack[-1][0] != name:
                    expected = stack[-1][0] if stack else ""
                    raise _cant_parse(
                        f"Unmatched end tag at byte offset {_byte_offset(text, i)}, expected "
                        f'"</{expected}>", found "</{name}>"'
                    )
                open_name, start, attrs = stack.pop()
                if length > start:
                    entity: dict[str, Any] = {
                        "type": _HTML_TAGS[open_name],
                        "offset": start,
                        "length": length - start,
                    }
                    if open_name == "a":
                        entity["url"] = attrs
                    entities.append(entity)
            else:
                words = tag.split()
                name = words[0].lower() if words else ""
                if name not in _HTML_TAGS:
                    raise _cant_parse(
                        f'Unsupported start tag "{name}" at byte offset {_byte_offset(text, i)}'
                    )
                href = ""
                if name == "a":
                    match = re.search(r'href\s*=\s*"([^"]*)"', tag)
                    href = match.group(1) if match else ""
                stack.append((name, length, href))
            i = end + 1
            continue
        match = _HTML_ENTITY.match(text, i)  # text[i] == "&"
        if match:
            ref = match.group(1)
            if ref.startswith("#x"):
                decoded = chr(int(ref[2:], 16))
            elif ref.startswith("#"):
                decoded = chr(int(ref[1:]))
            else:
                decoded = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[ref]
            out.append(decoded)
            length += utf16_len(decoded)
            i = match.end()
        else:
            out.append("&")
            length += 1
            i += 1
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    return "".join(out), entities


def _byte_offset(text: str, index: int) -> int:
    """Where `text[index]` starts in UTF-8 (Telegram's error messages count bytes)."""
    return len(text[:index].encode())


def _parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    open_markers: list[str] = []
    i = 0
    size = len(text)
    while i < size:
        special = _MDV2_SPECIAL.search(text, i)
        if special is None:
            out.append(text[i:])
            break
        stop = special.start()
        if stop > i:
            out.append(text[i:stop])
            i = stop
        ch = text[i]
        if ch == "\\":
            if i + 1 < size:
                out.append(text[i + 1])
                i += 2
            else:  # a backslash at the very end is kept
                out.append(ch)
                i += 1
            continue
        if text.startswith("||", i) or ch in "*_~`":
            marker = "||" if text.startswith("||", i) else ch
            if open_markers and open_markers[-1] == marker:
                open_markers.pop()
            else:
                open_markers.append(marker)
            i += len(marker)
            continue
        raise _cant_parse(
            f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
        )
    if open_markers:
        raise _cant_parse("Can't find end of the entity")
    return "".join(out), []


def _parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    out: list[str] = []
    open_marker = ""
    start = 0
    i = 0
    for match in _MD_MARKER.finditer(text):
        index, ch = match.start(), match.group()
        out.append(text[i:index])
        i = index + 1
        if open_marker == ch:
            open_marker = ""
        elif not open_marker:
            open_marker, start = ch, index
        else:
            out.append(ch)
    out.append(text[i:])
    if open_marker:
        raise _cant_parse(
            f"Can't find end of the entity starting at byte offset {_byte_offset(text, start)}"
        )
    return "".join(out), []
