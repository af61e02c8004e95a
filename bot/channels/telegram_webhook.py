"""The webhook receiver: Telegram POSTs each update as JSON to our URL.

Every request must carry `X-Telegram-Bot-Api-Secret-Token` equal to the secret given to
`setWebhook`, compared in constant time (`hmac.compare_digest`); anything else gets 403 and is
never parsed. An update the channel could not keep (`NotStored`) gets 500, so that Telegram
sends it again; any other failure (a malformed update) 200, or it would be resent forever. We
run our own small aiohttp server rather than PTB's `start_webhook` (which
needs tornado and compares the secret with `!=`).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import ExtBot

from bot.channels.telegram_inbox import Claim, KeptUpdates, Submit
from bot.channels.telegram_incoming import chat_key
from bot.channels.telegram_polling import ALLOWED_UPDATES
from bot.channels.telegram_send import BotCalls
from bot.config import TelegramConfig
from bot.errors import ConfigError

__all__ = [
    "SECRET_HEADER",
    "NotStored",
    "WebhookReceiver",
    "check_webhook_config",
    "open_webhook",
]

_log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024


class NotStored(Exception):
    """Raised by `on_update` when the update could not be kept: answered 500, so that
    Telegram sends it again."""


class WebhookReceiver:
    def __init__(
        self,
        *,
        listen: str,
        port: int,
        path: str,
        secret: str,
        on_update: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if not secret:
            raise ValueError("a webhook needs a secret token")
        self._listen = listen
        self._port = port
        self._path = path if path.startswith("/") else "/" + path
        self._secret = secret.encode()
        self._on_update = on_update
        self._runner: web.AppRunner | None = None
        self.rejected = 0

    @property
    def port(self) -> int:
        """The bound port (useful when configured as 0)."""
        return self._port

    @property
    def path(self) -> str:
        return self._path

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._listen, self._port)
        await site.start()
        for address in self._runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                self._port = int(address[1])
                break
        _log.info("webhook receiver listening on %s:%d%s", self._listen, self._port, self._path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            self.rejected += 1
            _log.warning("webhook request without the right secret token rejected")
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        try:
            await self._on_update(data)
        except NotStored:
            return web.Response(status=500, text="not stored, send again")
        except Exception as exc:  # a malformed update: drop it, or Telegram resends it forever
            _log.error("webhook update %s not accepted: %s", data["update_id"], type(exc).__name__)
        return web.Response(status=200, text="ok")


async def open_webhook(
    bot: ExtBot[None],
    config: TelegramConfig,
    secret: str,
    kept: KeptUpdates,
    submit: Submit,
    calls: BotCalls,
    claim: Claim | None = None,
) -> WebhookReceiver:
    """Start the receiver, then `setWebhook`: each update is kept, then handed to `submit`;
    beside other processes (`claim`: telegram_cluster), only by the process that claims it."""
    url = config.webhook_url
    path = urlsplit(url).path or "/telegram"

    async def on_update(data: dict[str, Any]) -> None:
        update = Update.de_json(data, bot)  # a malformed update raises: dropped
        key = chat_key(update)
        if key is None:
            return
        try:
            await kept.keep_one((str(update.update_id), data))
        except Exception as exc:
            _log.error(
                "webhook update %s could not be kept (%s): Telegram will resend it",
                update.update_id,
                type(exc).__name__,
            )
            raise NotStored from None
        if claim is not None:
            try:
                if not await claim(update.update_id, key):
                    return  # another process handles it (a resend): acknowledged only
            except Exception as exc:
                _log.error(
                    "update %s could not be claimed (%s)", update.update_id, type(exc).__name__
                )
                raise NotStored from None
        submit(key, update)

    receiver = WebhookReceiver(
        listen=config.webhook_listen,
        port=config.webhook_port,
        path=path,
        secret=secret,
        on_update=on_update,
    )
    await receiver.start()
    outcome = await calls.call(
        lambda: bot.set_webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(ALLOWED_UPDATES),
        ),
        "setWebhook",
    )
    if outcome.status != "sent":
        await receiver.stop()
        raise ConfigError(f"Telegram refused the webhook: {outcome.detail}", "telegram")
    return receiver


def check_webhook_config(config: TelegramConfig, secret: str | None) -> None:
    """Refuse a webhook mode without a usable secret token or public URL (ConfigError)."""
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
