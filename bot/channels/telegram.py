"""The Telegram channel: python-telegram-bot 22 between the Bot API and the neutral model.

    TelegramChannel(config.telegram, config.telegram_token.read(),
                    clock=clock,
                    webhook_secret=config.telegram_webhook_secret.read(),   # webhook mode only
                    commands={lang: catalog.commands(lang) for lang in LANGUAGES},
                    on_unreachable=mark_unreachable,                        # async (user_id)
                    inbox=Inbox(store, pending, forget))                    # see below

Lifecycle by hand (the Matrix channel shares the event loop, so no `run_polling`):
`start()` = Application.initialize (getMe) -> start -> setMyCommands per language -> replay of
the inbox -> our polling loop, or our webhook receiver + setWebhook; `stop()` = the reverse,
after every update already received has been handled (the chat layer dedupes by `event_id`, so
an update Telegram sends again after a crash is processed once).

Nothing received is lost when the process is killed: the polling loop (ours, not PTB's
updater, which confirms a batch as soon as it fetches the next) keeps each fetched batch in
the `inbox` (one call, encrypted) before the next getUpdates confirms it to Telegram,
then hands it to the lanes; the webhook receiver keeps an update before answering 200 (500 if
it could not, so Telegram retries). An update is forgotten once its replies are sent (with the
next batch kept, or `FORGET_DELAY` later, and at stop). At start, the kept updates are replayed
into the lanes in update_id order, marked `Incoming.replayed`: the chat layer does not handle
one twice, but answers it (it may have been handled without its answer reaching the user).

Updates go to per-chat lanes (`telegram_lanes`): one chat's flood is paced without slowing the
others. Each becomes an `Incoming`; the handler's `Reply`s are sent in order as HTML-escaped
text split at 4,096 characters, buttons as an inline keyboard (one per row). Every button press
is answered (`answerCallbackQuery`, sent while the handler runs), even when the handler fails,
and a reply with `answers_button` edits the pressed menu to show the choice (while that reply is
being sent); both are done before the chat's next update. Sends follow `telegram_retry`: 429
waits `retry_after`, network errors and 5xx back off, 403 means unreachable.

Logs carry chat, user and update ids only: never a text, a name or a file name.

Modules: telegram_incoming (update -> Incoming), telegram_send (Reply -> Bot API calls),
telegram_retry (the retry policy), telegram_lanes (per-chat order and pacing), telegram_text
(splitting, escaping), telegram_webhook (the receiver), telegram_commands (the default menu).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, CallbackQuery, Update
from telegram.error import Conflict, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.base import Handler, Inbox, InboxEntry, SendResult
from bot.channels.telegram_cluster import WebhookCluster
from bot.channels.telegram_commands import DEFAULT_COMMANDS, CommandMenu
from bot.channels.telegram_incoming import chat_key, to_incoming
from bot.channels.telegram_lanes import ChatLanes
from bot.channels.telegram_retry import RetryPolicy, describe_error, retry_after_seconds
from bot.channels.telegram_send import (
    RAW_POLL,
    BotCalls,
    DownloadFailed,
    OnUnreachable,
    quiet_raw_call_warnings,
)
from bot.channels.telegram_webhook import NotStored, WebhookReceiver
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

#: the update kinds Relais handles (edits of old messages are not re-processed)
ALLOWED_UPDATES = ("message", "callback_query")
#: answered updates are forgotten by the inbox with the next batch kept, or this many seconds
#: after their answer when no batch comes (a killed process replays only what it had not
#: answered; an answer in the last second before a kill may be followed by a recovery notice)
FORGET_DELAY = 1.0
FLOOD_NOTICE = (
    "You are sending messages faster than I can answer: I will answer them in order, "
    "please wait a moment. / Vous envoyez des messages plus vite que je ne peux répondre : "
    "je réponds dans l'ordre, patientez un instant."
)
ERROR_NOTICE = (
    "Sorry, something went wrong on my side. Please try again, or send /sos for emergency "
    "contacts. / Désolé, une erreur s'est produite. Réessayez, ou envoyez /sos pour les "
    "contacts d'urgence."
)

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
        flood_notice: str = FLOOD_NOTICE,
        error_notice: str = ERROR_NOTICE,
    ) -> None:
        if not token or ":" not in token:
            raise ConfigError(
                "a bot token from BotFather looks like 123456:ABC-...; set "
                "RELAIS_TELEGRAM_TOKEN or telegram.token_file",
                "telegram.token_file",
            )
        if config.mode == "webhook":
            _check_webhook_config(config, webhook_secret)
        # PTB 22 warns on every int-valued time period (RetryAfter included) unless this
        # documented opt-in is set; our code reads the timedelta either way.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        self._config = config
        self._token = token
        self._clock: Clock = clock or SystemClock()
        self._webhook_secret = webhook_secret or ""
        self._commands = commands if commands is not None else DEFAULT_COMMANDS
        self._limits = limits or TelegramLimits()
        self._flood_notice = flood_notice
        self._error_notice = error_notice
        self._app: _App | None = None
        self._handler: Handler | None = None
        self._receiver: WebhookReceiver | None = None
        self._lanes: ChatLanes[Update] | None = None
        self._sent_keys: OrderedDict[str, SendResult] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[SendResult]] = {}
        self._username = ""
        self._stopping = False
        self._inbox = inbox
        #: webhook mode beside other processes: claims and per-chat order (telegram_cluster)
        self._cluster = cluster if config.mode == "webhook" else None
        self._poller: asyncio.Task[None] | None = None
        self._offset = 0  # the next getUpdates confirms every update below it
        self._poll_read_timeout = 5.0
        #: told after each getUpdates: True when it answered (health and metrics)
        self.on_poll: Callable[[bool], None] | None = None
        self._replayed: set[int] = set()  # update ids replayed at start (Telegram may resend)
        self._replaying: set[int] = set()  # replayed update ids not handled yet
        #: event ids whose replies are sent: forgotten by the inbox with the next batch kept
        self._answered: list[str] = []
        self._forget_task: asyncio.Task[None] | None = None
        self._calls = BotCalls(
            self._bot,
            self._limits.retry,
            max_in_flight=self._limits.connection_pool,
            on_unreachable=on_unreachable,
        )

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
        requests = (HTTPXRequest(connection_pool_size=pool), HTTPXRequest(connection_pool_size=1))
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
        self._poll_read_timeout = (requests[1].read_timeout or 0) + self._config.poll_timeout
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
            await self._replay(app.bot)
            if self._config.mode == "webhook":
                await self._start_webhook(app)
            else:
                await self._start_polling(app.bot)
        except BaseException:
            self._app = None
            await self._stop_polling()
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
        await self._stop_polling()  # confirms the offset of the updates fetched (and kept)
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
        if self._forget_task is not None:
            self._forget_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._forget_task
            self._forget_task = None
        await self._forget_answered()
        await app.shutdown()
        self._app = None
        self._stopping = False
        _log.info("telegram channel stopped")

    async def _start_webhook(self, app: _App) -> None:
        url = self._config.webhook_url
        path = urlsplit(url).path or "/telegram"

        async def on_update(data: dict[str, Any]) -> None:
            update = Update.de_json(data, app.bot)  # a malformed update raises: dropped
            key = chat_key(update)
            if key is None:
                return
            if self._inbox is not None:
                try:
                    await self._inbox.store([(str(update.update_id), data)], [])
                except Exception as exc:
                    _log.error(
                        "webhook update %s could not be kept (%s): Telegram will resend it",
                        update.update_id,
                        type(exc).__name__,
                    )
                    raise NotStored from None
            if self._cluster is not None and not await self._claim(update.update_id, key):
                return  # another process handles it (a resend): acknowledged only
            self._submit(key, update)

        self._receiver = WebhookReceiver(
            listen=self._config.webhook_listen,
            port=self._config.webhook_port,
            path=path,
            secret=self._webhook_secret,
            on_update=on_update,
        )
        await self._receiver.start()
        outcome = await self._calls.call(
            lambda: app.bot.set_webhook(
                url=url,
                secret_token=self._webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            ),
            "setWebhook",
        )
        if outcome.status != "sent":
            await self._receiver.stop()
            self._receiver = None
            raise ConfigError(f"Telegram refused the webhook: {outcome.detail}", "telegram")

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

    def _submit(self, key: str, update: Update) -> None:
        if (
            self._lanes is not None
            and self._lanes.busy(key)
            and _is_sos(update)
            and self._lanes.express(key, update)  # /sos never waits behind a slow turn
        ):
            return
        if self._lanes is not None and not self._lanes.submit(key, update):
            # dropped on purpose (a flooding chat, logged and told): not replayed either
            self._answered.append(str(update.update_id))

    async def _replay(self, bot: ExtBot[None]) -> None:
        """Hand the kept updates not answered yet (a previous process was killed) to the
        lanes, in update_id order."""
        if self._inbox is None:
            return
        entries = await self._inbox.pending()
        updates = []
        for _event_id, payload in entries:
            try:
                updates.append(Update.de_json(payload, bot))
            except Exception as exc:
                _log.error("a kept update could not be read (%s): skipped", type(exc).__name__)
        updates.sort(key=lambda update: update.update_id)
        for update in updates:
            key = chat_key(update)
            if (  # beside other processes: only what no live one has (telegram_cluster)
                key is not None
                and self._cluster is not None
                and not await self._cluster.claim(update.update_id, key)
            ):
                continue
            if key is not None:
                self._replayed.add(update.update_id)
                self._replaying.add(update.update_id)
                self._submit(key, update)
        if updates:
            _log.info("replaying %d update(s) received before a restart", len(updates))

    async def _start_polling(self, bot: ExtBot[None]) -> None:
        # As PTB's updater did: make sure no webhook is set, pending updates are kept.
        outcome = await self._calls.call(lambda: bot.delete_webhook(), "deleteWebhook")
        if outcome.status != "sent":
            _log.warning("deleteWebhook failed (%s); polling anyway", outcome.detail)
        self._offset = 0
        self._poller = asyncio.create_task(self._poll(bot), name="telegram-polling")

    async def _stop_polling(self) -> None:
        poller, self._poller = self._poller, None
        if poller is None:
            return
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        if self._offset and self._app is not None:
            # Confirm what was fetched (it is kept and handled), so that Telegram does not
            # send it again at the next start (it would be skipped, but stored once more).
            with contextlib.suppress(Exception):
                await self._app.bot.do_api_request(
                    RAW_POLL,
                    api_kwargs={"offset": self._offset, "limit": 1, "timeout": 0},
                    read_timeout=5.0,
                )

    async def _poll(self, bot: ExtBot[None]) -> None:
        """getUpdates in a loop: keep each batch, then confirm it (the next call's offset)
        and hand it to the lanes. Errors are logged and retried with a growing delay; the loop
        only ends when cancelled (`stop()`)."""
        policy = self._limits.retry
        delay = 0.0
        while True:
            try:
                raw = await bot.do_api_request(
                    RAW_POLL,
                    api_kwargs={
                        "offset": self._offset,
                        "timeout": self._config.poll_timeout,
                        "allowed_updates": list(ALLOWED_UPDATES),
                    },
                    read_timeout=self._poll_read_timeout,
                )
                await self._receive(bot, raw if isinstance(raw, list) else [])
                delay = 0.0
                if self.on_poll is not None:
                    self.on_poll(True)
                continue
            except asyncio.CancelledError:
                raise
            except RetryAfter as exc:
                pause = retry_after_seconds(exc)
                _log.warning("polling Telegram rate limited: waiting %.0f s", pause)
                await asyncio.sleep(pause)
                continue
            except Conflict as exc:
                _log.error(
                    "polling Telegram refused (%s): another process polls this bot, or a "
                    "webhook is set; run one relais per bot token. Retrying",
                    describe_error(exc),
                )
            except TelegramError as exc:
                _polling_error(exc)
            except Exception as exc:  # the inbox could not keep the batch: not confirmed
                _log.error(
                    "polling Telegram failed (%s); the updates are fetched again",
                    type(exc).__name__,
                )
            if self.on_poll is not None:
                self.on_poll(False)
            delay = min(policy.max_delay, max(policy.base_delay, delay * 2))
            await asyncio.sleep(delay)

    async def _receive(self, bot: ExtBot[None], batch: list[Any]) -> None:
        """Keep a fetched batch (one call), then confirm it and hand it over."""
        if not batch:
            return
        updates: list[tuple[str, Update]] = []
        kept: list[InboxEntry] = []
        for data in batch:
            try:
                update = Update.de_json(data, bot)
            except Exception as exc:  # malformed: dropped, or it would block every later one
                _log.error("an update could not be read (%s): dropped", type(exc).__name__)
                continue
            key = chat_key(update)
            if key is None or update.update_id in self._replayed:
                continue
            updates.append((key, update))
            kept.append((str(update.update_id), data))
        if self._inbox is not None and kept:
            answered, self._answered = self._answered, []
            try:
                await self._inbox.store(kept, answered)  # raises: not confirmed, fetched again
            except BaseException:
                self._answered[:0] = answered  # forgotten with a later batch
                raise
        last = batch[-1].get("update_id") if isinstance(batch[-1], dict) else None
        if isinstance(last, int):
            self._offset = last + 1
        if self._replayed and updates and updates[0][1].update_id > max(self._replayed):
            self._replayed.clear()
        for key, update in updates:
            self._submit(key, update)

    async def _forget_answered(self) -> None:
        """Forget the kept updates answered since the last batch (they are not replayed)."""
        if self._inbox is None or not self._answered:
            return
        answered, self._answered = self._answered, []
        try:
            await self._inbox.forget(answered)
        except Exception as exc:
            self._answered[:0] = answered
            _log.warning("could not forget answered updates (%s)", type(exc).__name__)
        except BaseException:  # cancelled (stop): forgotten by the last call of stop()
            self._answered[:0] = answered
            raise

    async def _process(self, chat_id: str, update: Update) -> None:
        """Handle one update of a chat's lane; once its replies are sent, the inbox may forget
        it (until then a killed process replays it at the next start)."""
        replayed = update.update_id in self._replaying
        if self._cluster is not None:
            await self._cluster.wait_turn(update.update_id, chat_id)
        await self._handle_update(chat_id, update, replayed)
        if self._cluster is not None:
            await self._cluster.handled(update.update_id)
        self._replaying.discard(update.update_id)
        self._answered.append(str(update.update_id))
        if self._inbox is not None and (self._forget_task is None or self._forget_task.done()):
            self._forget_task = asyncio.create_task(self._forget_soon(), name="telegram-forget")

    async def _claim(self, update_id: int, key: str) -> bool:
        assert self._cluster is not None
        try:
            return await self._cluster.claim(update_id, key)
        except Exception as exc:
            _log.error("update %s could not be claimed (%s)", update_id, type(exc).__name__)
            raise NotStored from None

    async def _forget_soon(self) -> None:
        await asyncio.sleep(FORGET_DELAY)
        await self._forget_answered()

    async def _handle_update(self, chat_id: str, update: Update, replayed: bool) -> None:
        incoming = self.to_incoming(update)
        if incoming is None or self._handler is None:
            return
        if replayed:
            incoming = dataclasses.replace(incoming, replayed=True)
        query = update.callback_query
        if query is None:
            await self._respond(chat_id, update, incoming)
            return
        # A button press: answerCallbackQuery runs while the handler works, and the edit of the
        # pressed menu while the replies are sent (each is a round trip to Telegram). Both end
        # before the next update of the chat. Nothing in the group raises (`_logged`), so no
        # failure cancels the rest; a cancellation (shutdown) cancels and awaits all of it.
        async with asyncio.TaskGroup() as side:
            answer = self._calls.answer(query, update.update_id)
            side.create_task(self._logged(answer, "answerCallbackQuery", update))
            replies = self._respond(chat_id, update, incoming, (query, side))
            await self._logged(replies, "replies", update)

    async def _respond(
        self,
        chat_id: str,
        update: Update,
        incoming: Incoming,
        press: tuple[CallbackQuery, asyncio.TaskGroup] | None = None,
    ) -> None:
        """Run the handler and send its replies in order. For a button `press` (the query and
        its task group), the first reply that answers the pressed button starts the edit of the
        pressed menu in that group, beside the sends."""
        assert self._handler is not None
        try:
            replies = await self._handler(incoming)
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
            replies = [Reply(self._error_notice, kind="alert")]
        for reply in replies:
            if (
                press is not None
                and reply.answers_button
                and reply.answers_button == press[0].data
            ):
                query, side = press
                edit = self._calls.show_choice(query)
                side.create_task(self._logged(edit, "edit of the pressed menu", update))
                press = None  # the menu is edited once
            if not reply.text.strip() and reply.attachment is None:
                continue
            result = await self._calls.send(chat_id, reply)
            if result.status == "unreachable":
                break  # the rest cannot arrive either
            if result.status == "failed":
                _log.error("reply to update %s in chat %s lost", update.update_id, chat_id)

    @staticmethod
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

    def to_incoming(self, update: Update) -> Incoming | None:
        """The neutral view of an update; None for updates Relais does not handle."""
        return to_incoming(
            update, now=self._clock.now(), bot_username=self._username, fetcher=self._fetcher
        )

    def _fetcher(self, file_id: str, size: int, update_id: int) -> Callable[[], Awaitable[bytes]]:
        async def fetch() -> bytes:
            return await self._calls.download(file_id, size, f"getFile {update_id}")

        return fetch

    # -- sending ---------------------------------------------------------------------------

    async def send_to_user(
        self,
        user_id: str,
        reply: Reply,
        idempotency_key: str | None = None,
        *,
        expected_identity: str | None = None,  # no identities on this channel
    ) -> SendResult:
        """Send to the user's private chat (its chat id is the user id). A key already sent in
        this process returns the first result without sending again."""
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


def _check_webhook_config(config: TelegramConfig, secret: str | None) -> None:
    if not secret:
        raise ConfigError(
            "webhook mode needs a secret token so that only Telegram can post updates: set "
            "RELAIS_TELEGRAM_WEBHOOK_SECRET or telegram.webhook_secret_file (1-256 characters "
            "A-Z a-z 0-9 _ -), or use mode = 'polling'",
            "telegram.webhook_secret_file",
        )
    if len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
        raise ConfigError(
            "the webhook secret may only hold 1-256 characters A-Z a-z 0-9 _ -",
            "telegram.webhook_secret_file",
        )
    if not config.webhook_url:
        raise ConfigError(
            "webhook mode needs the public HTTPS URL Telegram posts to", "telegram.webhook_url"
        )


def _polling_error(exc: TelegramError) -> None:
    _log.warning("polling Telegram failed (%s); retrying", describe_error(exc))


def quiet_library_logs() -> None:
    """Keep the token and message content out of the logs (called by `start()`).

    httpx logs every request URL at INFO, and a Bot API URL contains the bot token; PTB logs
    whole updates (texts, names) at DEBUG. Raise those loggers to WARNING / INFO unless they
    were set stricter already."""
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
