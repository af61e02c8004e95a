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
from collections import defaultdict, deque
from typing import Any

from aiohttp import web

from tests.fakes.telegram.bot_api import BotApiMethods
from tests.fakes.telegram.control import ControlApi
from tests.fakes.telegram.model import BotMessage, Call, Fault, StoredFile


class FakeBotApi(ControlApi, BotApiMethods):
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
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._blocked: set[int] = set()
        # callback queries
        self._queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: dict[str, dict[str, Any]] = {}
        # commands, webhook, faults, record
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {"url": "", "secret_token": ""}
        self.webhook_deliveries: list[tuple[int, int]] = []
        self._webhook_task: asyncio.Task[None] | None = None
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
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
