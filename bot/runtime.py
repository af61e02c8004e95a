"""Wiring: the application object, the dialogs, the chat layer, the check-ins and the channels.

`relais run` and `relais demo` build a `Runtime`, start the enabled channels in one event loop
(one failing does not stop the others) and stop everything cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.app import Relais
from bot.background import Background
from bot.channels.base import Channel, Inbox, InboxEntry
from bot.chat.catalog import LANGUAGES, Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.service import ChatService
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.errors import ConfigError, RelaisError
from bot.operations.wiring import Operations

if TYPE_CHECKING:
    from bot.channels.telegram_cluster import WebhookCluster

__all__ = ["Runtime", "build_channels", "inbox_of", "open_runtime", "serve", "webhook_cluster_of"]

logger = logging.getLogger(__name__)

HOUSEKEEPING_INTERVAL = 3600.0  # seconds


@dataclass(slots=True)
class Runtime:
    config: Config
    clock: Clock
    relais: Relais
    dialogs: DialogRegistry
    catalog: Catalog
    chat: ChatService
    checkins: Any = None
    publishing: Any = None
    channels: list[Channel] = field(default_factory=list)
    #: the dispatcher, its timer and the publishing refresh loop (`bot.background`)
    background: Background = field(init=False)

    def __post_init__(self) -> None:
        self.background = Background(self.checkins, self.publishing)

    async def close(self) -> None:
        """Stop in the reverse order of `serve`: the background work (a tick in progress
        records its sends while the channels can still deliver), the channels, the database."""
        try:
            await self.background.stop()
        except Exception:
            logger.exception("stopping the background work failed")
        for channel in reversed(self.channels):
            try:
                await channel.stop()
            except Exception:
                logger.exception("stopping channel %s failed", channel.name)
        await self.chat.usage.flush()  # the usage figures counted since the last flush
        await self.relais.close()


async def open_runtime(
    config: Config, clock: Clock | None = None, *, migrate_schema: bool = False
) -> Runtime:
    """Open the database (refusing an out-of-date schema unless told to migrate) and build the
    chat layer on the bundled content plus the published versions."""
    clock = clock or SystemClock()
    content = config.content_path
    if not (content / "dialogs").is_dir():
        raise ConfigError(f"no dialogs folder in the content directory {content}", "content_dir")
    relais = await Relais.open(config, clock, migrate_schema=migrate_schema)
    try:
        await relais.ensure_review_checkins()  # open cases from before the monthly review
        dialogs = DialogRegistry.from_content(content)
        catalog = Catalog.load(content)
        checkins = _checkins(relais, config, clock)
        publishing = await _publishing(relais, dialogs, config, clock)
        chat = ChatService(
            relais, dialogs, catalog, clock, config, checkins=checkins, publishing=publishing
        )
    except BaseException:
        await relais.close()
        raise
    return Runtime(config, clock, relais, dialogs, catalog, chat, checkins, publishing)


def _checkins(relais: Relais, config: Config, clock: Clock) -> Any:
    try:
        from bot.checkins.service import CheckinService
    except ImportError:  # pragma: no cover - while the check-in package is being built
        return None
    return CheckinService(relais, config, clock)


async def _publishing(
    relais: Relais, dialogs: DialogRegistry, config: Config, clock: Clock
) -> Any:
    try:
        from bot.publishing.service import PublishingService
    except ImportError:  # pragma: no cover - while the publishing package is being built
        return None
    service = PublishingService(relais, dialogs, config, clock)
    await service.load_published()
    return service


def inbox_of(relais: Relais, channel: str) -> Inbox:
    """The durable inbox of `channel`, bound to the use cases (adapters do not import storage)."""

    async def store(entries: list[InboxEntry], answered: list[str]) -> None:
        await relais.store_updates(channel, entries, answered)

    async def pending() -> list[InboxEntry]:
        return await relais.pending_updates(channel)

    async def forget(answered: list[str]) -> int:
        return await relais.forget_updates(channel, answered)

    return Inbox(store, pending, forget)


def webhook_cluster_of(relais: Relais) -> WebhookCluster | None:
    """Telegram webhook claims bound to the use cases, on PostgreSQL (where several processes
    may serve one bot); None on SQLite (one process per database file)."""
    if relais.db.engine.dialect.name != "postgresql":
        return None
    from bot.channels.telegram_cluster import WebhookCluster
    from storage.webhook_claims import LEASE_PREFIX

    async def claim(update_id: int, key: str, holder: str, stale: timedelta) -> bool:
        return await relais.claim_update(
            "telegram", update_id, chat_key=key, holder=holder, stale=stale
        )

    async def earlier(update_id: int, key: str, stale: timedelta) -> int:
        return await relais.earlier_updates_pending(
            "telegram", update_id, chat_key=key, stale=stale
        )

    async def handled(update_id: int) -> None:
        await relais.update_handled("telegram", update_id)

    async def beat(holder: str, ttl: timedelta) -> bool:
        """Take or renew this process's lease (ttl 0: let it go, expired now)."""
        name = LEASE_PREFIX + holder
        if not ttl:
            return await relais.renew_lease(name, holder=holder, ttl=ttl)
        lease = await relais.take_lease(
            name, holder=holder, host=socket.gethostname(), pid=os.getpid(), ttl=ttl
        )
        return lease.holder == holder

    return WebhookCluster(claim=claim, earlier=earlier, handled=handled, beat=beat)


def build_channels(runtime: Runtime) -> list[Channel]:
    """The channels enabled in the configuration (adapters are imported only when enabled)."""
    config = runtime.config
    channels: list[Channel] = []
    if config.telegram.enabled:
        from bot.channels.telegram import TelegramChannel

        async def telegram_unreachable(user_id: str) -> None:
            await runtime.relais.mark_unreachable("telegram", user_id)

        secret = config.telegram_webhook_secret
        channels.append(
            TelegramChannel(
                config.telegram,
                config.telegram_token.read(),
                clock=runtime.clock,
                webhook_secret=secret.read() if config.telegram.mode == "webhook" else None,
                commands={lang: runtime.catalog.commands(lang) for lang in LANGUAGES},
                on_unreachable=telegram_unreachable,
                inbox=inbox_of(runtime.relais, "telegram"),
                cluster=webhook_cluster_of(runtime.relais),
            )
        )
    if config.matrix.enabled:
        from bot.channels.matrix import MatrixChannel

        store = Path(config.matrix.store_path or config.data_path / "matrix")
        channels.append(
            MatrixChannel(
                config.matrix,
                password=config.matrix_password.read(),
                pickle_key=config.matrix_pickle_key.read(),
                store_path=store,
                clock=runtime.clock,
                undecryptable_text=" / ".join(
                    runtime.catalog.text(lang, "undecryptable") for lang in LANGUAGES
                ),
            )
        )
    return channels


async def serve(runtime: Runtime, channels: list[Channel], stop: asyncio.Event) -> int:
    """Start every channel (a failing one is logged, the others go on), then the background
    work (check-in dispatcher and timer, publishing refresh), then operations; wait for `stop`;
    stop operations (`Runtime.close` stops the rest). Returns 1 if no channel could start."""
    ops = Operations(runtime)
    handler = ops.handler(runtime.chat.handle)
    started: list[Channel] = []
    for channel in channels:
        try:
            await channel.start(handler)
        except RelaisError as exc:  # our own errors name the setting to fix
            logger.error("channel %s failed to start: %s", channel.name, exc)
            continue
        except Exception as exc:
            logger.error(
                "channel %s failed to start (%s): check its server address, token or password, "
                "and the network; the other channels go on",
                channel.name,
                type(exc).__name__,
            )
            logger.debug("channel start failure", exc_info=True)
            continue
        logger.info("channel %s started", channel.name)
        started.append(channel)
    runtime.channels = started
    if not started:
        logger.error("no channel could start; see the messages above")
        return 1
    # the dispatcher delivers through the channels: it starts once they have
    await runtime.background.start(started)
    await ops.start(started)
    studio = await _start_studio(runtime)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    housekeeping = asyncio.create_task(_housekeeping(runtime, stop), name="housekeeping")
    await stop.wait()
    housekeeping.cancel()
    with suppress(asyncio.CancelledError):
        await housekeeping
    if studio is not None:
        await studio.stop()
    await ops.stop()
    return 0


async def _start_studio(runtime: Runtime) -> Any:
    """Relais Studio on `[studio] listen` (bot/studio); None when off or it cannot listen."""
    if not runtime.config.studio.listen or runtime.publishing is None:
        return None
    from bot.studio.app import StudioServer
    from bot.studio.context import StudioContext

    server = StudioServer(
        StudioContext(
            runtime.relais,
            runtime.publishing,
            runtime.dialogs,
            runtime.catalog,
            runtime.config,
            runtime.clock,
        )
    )
    try:
        await server.start()
    except OSError as exc:
        logger.error("Relais Studio could not listen on %s: %s", runtime.config.studio.listen, exc)
        return None
    return server


async def _housekeeping(runtime: Runtime, stop: asyncio.Event) -> None:
    """Every hour: forget expired conversations, old update ids and old invite attempts."""
    while not stop.is_set():
        try:
            removed = await runtime.relais.expire_sessions()
            if removed:
                logger.info("forgot %d expired conversation(s)", removed)
        except Exception:
            logger.exception("housekeeping failed; will try again")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=HOUSEKEEPING_INTERVAL)
