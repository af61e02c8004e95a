"""Logging the bot's device in: once with the password, then restored from `store_path`.

    await log_in(client, config, store_path, password)

- A saved session (`credentials.json`) for the configured user is restored and checked with
  `whoami`; a homeserver that is down keeps it (the sync loop retries), a revoked token logs in
  again as the same device id (so the same crypto identity).
- Otherwise the password logs in a new device and the session is saved (0600).
- The device's keys are uploaded when nio says they must be.
Raises `MatrixChannelError` if a login is needed and impossible (wrong password, unreachable).
"""

from __future__ import annotations

import logging
from pathlib import Path

from nio import AsyncClient, ErrorResponse, LoginResponse, WhoamiResponse

from bot.channels.matrix_send import NETWORK_ERRORS
from bot.channels.matrix_state import Credentials, load_credentials, save_credentials
from bot.config import MatrixConfig
from bot.errors import RelaisError

__all__ = ["MatrixChannelError", "log_in", "upload_keys"]

logger = logging.getLogger(__name__)


class MatrixChannelError(RelaisError):
    """The Matrix channel cannot start (bad credentials, unreachable homeserver at login...)."""


async def log_in(client: AsyncClient, config: MatrixConfig, store: Path, password: str) -> None:
    saved = load_credentials(store)
    if saved is not None and saved.user_id == config.user_id:
        client.restore_login(saved.user_id, saved.device_id, saved.access_token)
        try:
            who = await client.whoami()
        except NETWORK_ERRORS as exc:
            # the homeserver is down: keep the saved session, the sync loop will retry
            logger.warning("matrix: whoami failed (%s); using the saved session", exc)
            return
        if isinstance(who, WhoamiResponse):
            logger.info("matrix: restored device %s", saved.device_id)
            await upload_keys(client)
            return
        if who.status_code != "M_UNKNOWN_TOKEN":
            logger.warning("matrix: whoami failed (%s); using the saved session", who)
            return
        logger.warning("matrix: access token revoked; logging in again as the same device")
    if saved is not None and saved.device_id:
        client.device_id = saved.device_id
    try:
        response = await client.login(password, device_name=config.device_name)
    except NETWORK_ERRORS as exc:
        raise MatrixChannelError(f"matrix: cannot reach {config.homeserver}") from exc
    if not isinstance(response, LoginResponse):
        raise MatrixChannelError(f"matrix: login failed: {response.status_code}")
    save_credentials(
        store,
        Credentials(
            homeserver=config.homeserver,
            user_id=response.user_id,
            device_id=response.device_id,
            access_token=response.access_token,
        ),
    )
    logger.info("matrix: logged in as device %s", response.device_id)
    await upload_keys(client)


async def upload_keys(client: AsyncClient) -> None:
    if client.should_upload_keys:
        response = await client.keys_upload()
        if isinstance(response, ErrorResponse):
            logger.warning("matrix: key upload failed: %s", response.status_code)
