"""Sending to Matrix without losing or doubling a message.

`Sender.send(room_id, content, tx_id)` retries until a deadline:
- `M_LIMIT_EXCEEDED` / HTTP 429: waits `retry_after_ms` (nio is configured not to retry itself);
- HTTP 5xx, connection errors, timeouts: exponential backoff with jitter;
- other 4xx: not retried (`failed`, or `unreachable` for M_FORBIDDEN: the bot left the room).
The same transaction id is used for every attempt, so the homeserver posts the message once.

In an encrypted room, before each attempt: members are loaded, every member's device keys are
queried (a device whose keys were never queried would silently not get the room key) and missing
Olm sessions are claimed; then each member's device is marked by the device trust policy
(`matrix_trust`: with "cross-signed", a device its owner has not cross-signed is blacklisted and
never gets the room key). After a failed attempt the room's outbound Megolm session is dropped:
nio marks a session "shared" even when sharing it failed, so a fresh one is shared on retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import mimetypes
import random
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    ErrorResponse,
    LocalProtocolError,
    OlmUnverifiedDeviceError,
    RoomSendResponse,
    SendRetryError,
    ToDeviceMessage,
    UploadResponse,
)
from nio.crypto import OlmDevice

from bot.channels.base import SendResult

if TYPE_CHECKING:  # matrix_trust uses NETWORK_ERRORS from here
    from bot.channels.matrix_trust import TrustCache

__all__ = ["Sender", "retry_delay", "tx_id_for"]

logger = logging.getLogger(__name__)

_SAFE_TX = re.compile(r"^[A-Za-z0-9._~-]{1,200}$")
NETWORK_ERRORS: tuple[type[BaseException], ...] = (ClientError, TimeoutError, SendRetryError)


def tx_id_for(key: str) -> str:
    """A transaction id for an idempotency key: the key itself when URL-safe, else a hash."""
    if _SAFE_TX.match(key):
        return key
    return "relais-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0) -> float:
    """0.5 s, 1 s, 2 s ... capped, with ±20 % jitter so restarted bots do not march in step."""
    delay = float(min(cap, base * (2 ** min(attempt, 16))))
    return delay * random.uniform(0.8, 1.2)


def retry_delay(response: ErrorResponse, attempt: int) -> float | None:
    """How long to wait before retrying after `response`; None = do not retry."""
    status = response.transport_response.status if response.transport_response else None
    if response.status_code == "M_LIMIT_EXCEEDED" or status == 429:
        return max(0.05, (response.retry_after_ms or 1000) / 1000)
    if status is None or status >= 500:
        return backoff(attempt)
    return None


class Sender:
    def __init__(self, client: AsyncClient, *, trust: TrustCache, deadline: float) -> None:
        self.client = client
        self.trust = trust
        self.deadline = deadline  # seconds of retrying before a send is reported failed
        self.rate_limited = 0  # how many times the homeserver said M_LIMIT_EXCEEDED
        self._locks: dict[str, asyncio.Lock] = {}  # one send (and its key sharing) per room
        self._told: set[str] = set()  # Megolm sessions whose withheld notices were sent

    async def prepare_room(self, room_id: str) -> None:
        """Make sure every device of every member will get the room key of our next message."""
        client = self.client
        room = client.rooms.get(room_id)
        if room is None or not room.encrypted or client.olm is None:
            return
        if not room.members_synced:
            await client.joined_members(room_id)
        known = client.olm.device_store.users
        for user_id in room.users:
            if user_id not in known:
                client.olm.users_for_key_query.add(user_id)
        if client.should_query_keys:
            await client.keys_query()
        missing = client.get_missing_sessions(room_id)
        if missing:
            await client.keys_claim(missing)
        if await self.trust.apply(room.users):
            # a device gained or lost its signature: a new Megolm session, shared by the rules
            self._forget_group_session(room_id)

    def _forget_group_session(self, room_id: str) -> None:
        olm = self.client.olm
        if olm is not None:
            olm.outbound_group_sessions.pop(room_id, None)

    async def _tell_withheld(self, room_id: str) -> None:
        """Tell each device held back from the room's current session that its key is withheld
        (`m.room_key.withheld`, code `m.unverified`), once per session: its client then shows
        why it cannot read the message instead of waiting for a key that never comes."""
        olm, room = self.client.olm, self.client.rooms.get(room_id)
        session = olm.outbound_group_sessions.get(room_id) if olm is not None else None
        if olm is None or room is None or session is None or session.id in self._told:
            return
        self._told.add(session.id)
        content = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "room_id": room_id,
            "session_id": session.id,
            "sender_key": olm.account.identity_keys["curve25519"],
            "from_device": self.client.device_id,
            "code": "m.unverified",
            "reason": "Relais talks only to devices their owner has verified (cross-signed).",
        }
        for user_id in room.users:
            for device in olm.device_store.active_user_devices(user_id):
                if olm.is_device_blacklisted(device):
                    message = ToDeviceMessage("m.room_key.withheld", user_id, device.id, content)
                    with contextlib.suppress(*NETWORK_ERRORS):
                        await self.client.to_device(message)

    def _lock(self, room_id: str) -> asyncio.Lock:
        lock = self._locks.get(room_id)
        if lock is None:
            lock = self._locks[room_id] = asyncio.Lock()
        return lock

    async def reachable(self, room_id: str, user_id: str) -> bool:
        """Whether `user_id` has a device that would get the room key of our next message
        (under device_trust = "cross-signed": a cross-signed one)."""
        olm = self.client.olm
        if olm is None:
            return False
        async with self._lock(room_id):
            try:
                await self.prepare_room(room_id)
                await self.trust.apply([user_id])
            except NETWORK_ERRORS:
                return True  # cannot tell now: let the send retry
        devices = olm.device_store.active_user_devices(user_id)
        return any(not olm.is_device_blacklisted(device) for device in devices)

    async def send(
        self,
        room_id: str,
        content: dict[str, Any],
        tx_id: str,
        *,
        reader: OlmDevice | None = None,
    ) -> SendResult:
        """Send `content` once (retried under `tx_id`). `reader`: a device its owner has not
        cross-signed that may read this message all the same (the answer to a message it sent,
        which the chat layer keeps free of case data): the message gets a Megolm session of its
        own, dropped afterwards, so nothing sent later reaches that device."""
        async with self._lock(room_id):
            if reader is None or not self.trust.enforced:
                return await self._send(room_id, content, tx_id, None)
            try:
                return await self._send(room_id, content, tx_id, reader)
            finally:
                self._forget_group_session(room_id)
                if self.client.olm is not None:
                    self.client.olm.blacklist_device(reader)

    async def _send(
        self, room_id: str, content: dict[str, Any], tx_id: str, reader: OlmDevice | None
    ) -> SendResult:
        started = time.monotonic()
        attempt = 0
        while True:
            delay: float | None
            try:
                await self.prepare_room(room_id)
                if reader is not None and self.client.olm is not None:
                    self.client.olm.verify_device(reader)
                    self._forget_group_session(room_id)  # a session for this message only
                response = await self.client.room_send(
                    room_id,
                    "m.room.message",
                    content,
                    tx_id=tx_id,
                    # cross-signed: every device is marked verified or blacklisted by
                    # prepare_room; one that appeared since raises and is marked on the retry
                    ignore_unverified_devices=not self.trust.enforced,
                )
            except OlmUnverifiedDeviceError as exc:
                logger.info("send to %s: new device %s, checking it", room_id, exc.device.id)
                self.trust.invalidate([exc.device.user_id])
                self._forget_group_session(room_id)
                delay = backoff(attempt, base=0.1)
                reason = "new device"
            except LocalProtocolError as exc:
                if room_id not in self.client.rooms:
                    logger.warning("send to %s impossible: not in that room", room_id)
                    return SendResult("unreachable", detail="unknown room")
                delay = backoff(attempt)  # a crypto step raced another one: try again
                reason = type(exc).__name__
            except NETWORK_ERRORS as exc:
                self._forget_group_session(room_id)
                delay = backoff(attempt)
                reason = type(exc).__name__
            else:
                if isinstance(response, RoomSendResponse):
                    await self._tell_withheld(room_id)
                    return SendResult("sent", message_id=response.event_id)
                delay = retry_delay(response, attempt)
                reason = str(response.status_code)
                if response.status_code == "M_LIMIT_EXCEEDED":
                    self.rate_limited += 1
                else:
                    self._forget_group_session(room_id)
                if delay is None:
                    logger.warning("send to %s failed: %s", room_id, reason)
                    if response.status_code == "M_FORBIDDEN":
                        return SendResult("unreachable", detail=reason)
                    return SendResult("failed", detail=reason)
            attempt += 1
            if time.monotonic() + delay - started > self.deadline:
                logger.error("send to %s gave up after %d attempts: %s", room_id, attempt, reason)
                return SendResult("failed", detail=reason)
            logger.info("send to %s: %s, retrying in %.1fs", room_id, reason, delay)
            await asyncio.sleep(delay)

    async def upload(self, room_id: str, name: str, data: bytes) -> dict[str, Any] | SendResult:
        """Upload an attachment (encrypted in an encrypted room); return the message content."""
        room = self.client.rooms.get(room_id)
        encrypt = bool(room is not None and room.encrypted)
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                response, keys = await self.client.upload(
                    io.BytesIO(data),
                    content_type=mime,
                    filename=name,
                    encrypt=encrypt,
                    filesize=len(data),
                )
            except NETWORK_ERRORS as exc:
                delay = backoff(attempt)
                reason = type(exc).__name__
            else:
                if isinstance(response, UploadResponse):
                    break
                reason = str(response.status_code)
                retry = retry_delay(response, attempt)
                if retry is None:
                    return SendResult("failed", detail=reason)
                delay = retry
            attempt += 1
            if time.monotonic() + delay - started > self.deadline:
                return SendResult("failed", detail=reason)
            await asyncio.sleep(delay)
        msgtype = "m.image" if mime.startswith("image/") else "m.file"
        content: dict[str, Any] = {
            "msgtype": msgtype,
            "body": name,
            "filename": name,
            "info": {"mimetype": mime, "size": len(data)},
        }
        if encrypt and keys is not None:
            content["file"] = {**keys, "url": response.content_uri}
        else:
            content["url"] = response.content_uri
        return content
