"""The Telegram channel: python-telegram-bot 22 between the Bot API and the neutral model.

    TelegramChannel(config.telegram, config.telegram_token.read(),
                    clock=clock,
                    webhook_secret=config.telegram_webhook_secret.read(),   # webhook mode only
                    commands={lang: catalog.commands(lang) for lang in LANGUAGES},
                    on_unreachable=mark_unreachable,                        # async (user_id)
                    inbox=Inbox(store, pending, forget))                    # see below

Lifecycle by hand (the Matrix channel shares the event loop): `start()` = initialize (getMe),
start, setMyCommands per language, replay of the inbox, then our polling loop or our webhook
receiver + setWebhook; `stop()` = the reverse, once every update received has been handled.

Nothing received is lost when the process is killed (`telegram_inbox`): each fetched batch, or
webhook update, is kept in the `inbox` (encrypted) before Telegram is told it arrived, and
forgotten once its replies are sent. At start the kept updates are replayed in update_id order,
marked `Incoming.replayed`: the chat layer answers them without handling them twice.

Updates go to per-chat lanes (`telegram_lanes`): one chat's flood is paced without slowing the
others. Each becomes an `Incoming`; the handler's `Reply`s are sent in order as HTML-escaped
text split at 4,096 characters, buttons as an inline keyboard (one per row). Every button press
is answered (`answerCallbackQuery`, sent while the handler runs), even when the handler fails,
and a reply with `answers_button` edits the pressed menu to show the choice (while that reply is
being sent); both are done before the chat's next update. Sends follow `telegram_retry`: 429
waits `retry_after`, network errors and 5xx back off, 403 means unreachable.

Logs carry chat, user and update ids only: never a text, a name or a file name. Modules:
telegram_inbox (kept updates), telegram_polling (getUpdates), telegram_webhook (receiver),
telegram_cluster (several webhook processes), telegram_incoming, telegram_respond, -send, -retry,
telegram_lanes (per-chat order), telegram_text, telegram_commands.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import BotCommand, Update
from telegram.error import InvalidToken
from telegram.ext import Application, ExtBot

from bot.channels.base import Handler, Inbox, SendResult
from bot.channels.telegram_cluster import WebhookCluster
from bot.channels.telegram_commands import DEFAULT_COMMANDS, CommandMenu
from bot.channels.telegram_inbox import KeptUpdates
from bot.channels.telegram_incoming import to_incoming
from bot.channels.telegram_lanes import ChatLanes
from bot.channels.telegram_polling import ALLOWED_UPDATES, Poller
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.telegram_respond import answer_update
from bot.channels.telegram_retry import RetryPolicy
from bot.channels.telegram_send import (
    BotCalls,
    DownloadFailed,
    OnUnreachable,
    quiet_raw_call_warnings,
)
from bot.channels.telegram_webhook import WebhookReceiver, check_webhook_config, open_webhook
from bot.chat.catalog import in_every_language
from bot.clock import Clock, SystemClock
from bot.config import TelegramConfig
from bot.errors import ConfigError
from bot.messages import Incoming, Reply, is_sos

__all__ = [
    "ALLOWED_UPDATES",
    "DEFAULT_COMMANDS",
    "DownloadFailed",
    "TelegramChannel",
    "TelegramLimits",
    "quiet_library_logs",
]

_log = logging.getLogger(__name__)

_App = Application[ExtBot[None], Any, Any, Any, Any, Any]


@dataclass(frozen=True, slots=True)
class TelegramLimits:
    """Pacing and retries. Defaults follow Telegram's ~1 message/s per chat with bursts."""

    chat_rate: float = 1.0  # updates handled per second and chat, once the burst is spent
    chat_burst: int = 10
    max_backlog: int = 300  # queued updates per chat beyond which new ones are dropped
    drain_timeout: float = 20.0  # on stop, how long queued updates may still take
    #: concurrent Bot API requests (Telegram accepts ~30 messages/s per bot: a small pool
    #: suffices, and httpx's pool bookkeeping grows with its size)
    connection_pool: int = 8
    retry: RetryPolicy = field(default_factory=RetryPolicy)


class TelegramChannel:
    """`bot.channels.base.Channel` over python-telegram-bot 22."""

    name = "telegram"

    def __init__(
        self,
        config: TelegramConfig,
        token: str,
        *,
        clock: Clock | None = None,
        webhook_secret: str | None = None,
        commands: CommandMenu | None = None,
        on_unreachable: OnUnreachable | None = None,
        inbox: Inbox | None = None,
        cluster: WebhookCluster | None = None,
        limits: TelegramLimits | None = None,
        flood_notice: str | None = None,
        error_notice: str | None = None,
    ) -> None:
        if not token or ":" not in token:
            raise ConfigError(
                "a bot token from BotFather looks like 123456:ABC-...; set "
                "RELAIS_TELEGRAM_TOKEN or telegram.token_file",
                "telegram.token_file",
            )
        if config.mode == "webhook":
            check_webhook_config(config, webhook_secret)
        # PTB 22 warns on every int-valued time period (RetryAfter included) unless this
        # documented opt-in is set; our code reads the timedelta either way.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self._config = config
        self._token = token
        self._clock: Clock = clock or SystemClock()
        self._webhook_secret = webhook_secret or ""
        self._commands = commands if commands is not None else DEFAULT_COMMANDS
        self._limits = limits or TelegramLimits()
        # the catalog's texts (content/catalog), in every language: who writes is not known yet
        self._flood_notice = flood_notice or in_every_language("flood_notice")
        self._error_notice = error_notice or in_every_language("channel_error")
        self._app: _App | None = None
        self._handler: Handler | None = None
        self._receiver: WebhookReceiver | None = None
        self._lanes: ChatLanes[Update] | None = None
        self._sent_keys: OrderedDict[str, SendResult] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[SendResult]] = {}
        self._username = ""
        self._stopping = False
        self._kept = KeptUpdates(inbox)
        #: webhook mode beside other processes: claims and per-chat order (telegram_cluster)
        self._cluster = cluster if config.mode == "webhook" else None
        self._calls = BotCalls(
            self._bot,
            self._limits.retry,
            max_in_flight=self._limits.connection_pool,
            on_unreachable=on_unreachable,
        )
        self._poller = Poller(
            self._kept,
            self._submit,
            self._calls,
            poll_timeout=config.poll_timeout,
            retry=self._limits.retry,
            on_poll=self._polled,
        )
        #: told after each getUpdates: True when it answered (set by operations.health)
        self.on_poll: Callable[[bool], None] | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._app is not None and not self._stopping

    @property
    def webhook_port(self) -> int:
        """The port the webhook receiver listens on (0 when not in webhook mode)."""
        return self._receiver.port if self._receiver else 0

    async def start(self, handler: Handler) -> None:
        if self._app is not None:
            raise RuntimeError("the Telegram channel is already running")
        quiet_library_logs()
        quiet_raw_call_warnings()
        # Our own request objects, so that they can be closed even when getMe fails.
        pool = self._limits.connection_pool
        requests = (AiohttpRequest(connection_pool_size=pool), AiohttpRequest(1))
        builder = (
            Application.builder()
            .token(self._token)
            .job_queue(None)
            .request(requests[0])
            .get_updates_request(requests[1])
        )
        if self._config.base_url:
            builder = builder.base_url(self._config.base_url)
        if self._config.base_file_url:
            builder = builder.base_file_url(self._config.base_file_url)
        app = builder.build()
        # what a long poll may take: the request's read timeout plus the poll itself
        self._poller.read_timeout = (requests[1].read_timeout or 0) + self._config.poll_timeout
        self._handler = handler
        self._lanes = ChatLanes(
            self._process,
            rate=self._limits.chat_rate,
            burst=self._limits.chat_burst,
            max_backlog=self._limits.max_backlog,
            on_flood=self._notify_flood,
        )
        try:
            await app.initialize()  # getMe: checks the token
        except BaseException as exc:
            for request in requests:
                await request.shutdown()
            if isinstance(exc, InvalidToken):  # its message quotes the token: not chained
                raise ConfigError(
                    "Telegram rejected the bot token (check RELAIS_TELEGRAM_TOKEN or the token "
                    "file, and telegram.base_url)",
                    "telegram.token_file",
                ) from None
            raise
        self._username = (app.bot.username or "").lower()
        try:
            await app.start()
            self._app = app
            await self._set_commands()
            # beside other processes: this process's lease first, then its claims
            claim = await self._cluster.start() if self._cluster is not None else None
            await self._kept.replay(app.bot, self._submit, claim)
            if self._config.mode == "webhook":
                self._receiver = await open_webhook(
                    app.bot,
                    self._config,
                    self._webhook_secret,
                    self._kept,
                    self._submit,
                    self._calls,
                    claim,
                )
            else:
                await self._poller.start(app.bot)
        except BaseException:
            self._app = None
            await self._poller.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
            raise
        _log.info("telegram channel started (%s, bot id %s)", self._config.mode, app.bot.id)

    async def stop(self) -> None:
        app = self._app
        if app is None or self._stopping:
            return
        self._stopping = True
        await self._poller.stop()  # confirms the offset of the updates fetched (and kept)
        if self._receiver is not None:
            await self._receiver.stop()
            self._receiver = None
        await app.stop()  # every update received so far is now in a lane
        abandoned = 0
        if self._lanes is not None:
            abandoned = await self._lanes.drain(self._limits.drain_timeout)
        if abandoned:
            _log.warning(
                "telegram channel stopped with %d updates not handled (kept: they are handled "
                "at the next start)",
                abandoned,
            )
        await self._kept.close()
        if self._cluster is not None:
            await self._cluster.stop()
        await app.shutdown()
        self._app = None
        self._stopping = False
        _log.info("telegram channel stopped")

    async def _set_commands(self) -> None:
        bot = self._bot()
        for index, (lang, menu) in enumerate(self._commands.items()):
            commands = [BotCommand(name, description) for name, description in menu]
            for language_code in [None, lang] if index == 0 else [lang]:

                async def call(
                    commands: list[BotCommand] = commands, code: str | None = language_code
                ) -> bool:
                    return await bot.set_my_commands(commands, language_code=code)

                outcome = await self._calls.call(call, f"setMyCommands {lang}")
                if outcome.status != "sent":
                    _log.warning("command menu for %s not set: %s", lang, outcome.detail)

    # -- receiving -------------------------------------------------------------------------

    def _polled(self, ok: bool) -> None:
        if self.on_poll is not None:
            self.on_poll(ok)

    def _submit(self, key: str, update: Update) -> None:
        if (
            self._lanes is not None
            and self._lanes.busy(key)
            and _is_sos(update)
            and self._lanes.express(key, update)  # /sos never waits behind a slow turn
        ):
            return
        if self._lanes is not None and not self._lanes.submit(key, update):
            self._kept.dropped(update.update_id)  # a flooding chat: logged, told, not replayed

    async def _process(self, chat_id: str, update: Update) -> None:
        """Handle one update of a chat's lane; once its replies are sent, the inbox may forget
        it (until then a killed process replays it at the next start)."""
        if self._cluster is not None:
            await self._cluster.wait_turn(update.update_id, chat_id)
        await self._handle_update(chat_id, update, self._kept.replaying(update.update_id))
        if self._cluster is not None:
            await self._cluster.handled(update.update_id)
        self._kept.handled(update.update_id)

    async def _handle_update(self, chat_id: str, update: Update, replayed: bool) -> None:
        incoming = self.to_incoming(update)
        if incoming is None or self._handler is None:
            return
        if replayed:
            incoming = dataclasses.replace(incoming, replayed=True)
        await answer_update(
            self._calls, self._handler, chat_id, update, incoming, error_notice=self._error_notice
        )

    def to_incoming(self, update: Update) -> Incoming | None:
        """The neutral view (None: not ours); confidential only under `allow_case_notes`."""
        return to_incoming(
            update,
            now=self._clock.now(),
            bot_username=self._username,
            fetcher=self._fetcher,
            confidential=self._config.allow_case_notes,
        )

    def _fetcher(self, file_id: str, size: int, update_id: int) -> Callable[[], Awaitable[bytes]]:
        async def fetch() -> bytes:
            return await self._calls.download(file_id, size, f"getFile {update_id}")

        return fetch

    async def send_to_user(  # `expected_identity=` is Matrix's (no identities here)
        self, user_id: str, reply: Reply, idempotency_key: str | None = None, **_: Any
    ) -> SendResult:
        """Send to the user's private chat (chat id = user id); a key already sent in this
        process returns the first result without sending again."""
        if idempotency_key is None:
            return await self._calls.send(user_id, reply)
        done = self._sent_keys.get(idempotency_key)
        if done is not None:
            return done
        running = self._inflight.get(idempotency_key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[SendResult] = asyncio.get_running_loop().create_future()
        self._inflight[idempotency_key] = future
        try:
            result = await self._calls.send(user_id, reply)
        except BaseException:
            future.set_result(SendResult("failed", detail="cancelled"))
            raise
        finally:
            self._inflight.pop(idempotency_key, None)
        future.set_result(result)
        if result.status == "sent":
            self._sent_keys[idempotency_key] = result
            while len(self._sent_keys) > 4096:
                self._sent_keys.popitem(last=False)
        return result

    async def _notify_flood(self, chat_id: str) -> None:
        await self._calls.send(chat_id, Reply(self._flood_notice))

    def _bot(self) -> ExtBot[None]:
        app = self._app
        if app is None:
            raise RuntimeError("the Telegram channel is not running")
        return app.bot


def quiet_library_logs() -> None:
    """Keep the token and message content out of the logs (called by `start()`): httpx logs
    request URLs (with the bot token) at INFO, PTB whole updates at DEBUG. Raise those loggers
    to WARNING / INFO unless they were set stricter already."""
    floors = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "telegram": logging.INFO}
    for name, floor in floors.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < floor:
            logger.setLevel(floor)


def _is_sos(update: Update) -> bool:
    """A typed /sos or a press of the emergency button."""
    if update.callback_query is not None:
        return is_sos(button=update.callback_query.data or "")
    message = update.message
    return message is not None and is_sos(message.text)
