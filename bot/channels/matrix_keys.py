"""Messages the bot cannot decrypt yet ("unable to decrypt"), and their late keys.

`LateKeys.wait(event)` requests the missing room key (from the bot's other devices through nio,
and from the sending device), then waits up to the grace period; `retry()` is called after every
sync (room keys arrive as to-device events) and resolves the waiters whose key has arrived.
`wait` returns the decrypted event, or None when the key never came (the caller then asks the
practitioner to send the message again).

`withheld(content)` takes an `m.room_key.withheld` to-device event: the sender's client says it
will not share that session's key with us (Element: `m.unverified` while our device is not
cross-signed, `MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE` on its side). Such a key never comes,
so the waiters of that session give up at once instead of after the grace period.

`first_loss(event)` is True for the first message of a Megolm session found undecryptable: the
practitioner is asked once to send again, not once per message of a session whose key is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from nio import AsyncClient, EncryptionError, Event, LocalProtocolError, MegolmEvent

from bot.channels.matrix_send import NETWORK_ERRORS

__all__ = ["LateKeys"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _Waiter:
    event: MegolmEvent
    decrypted: asyncio.Future[Event | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class LateKeys:
    def __init__(self, client: AsyncClient, grace_seconds: float) -> None:
        self.client = client
        self.grace_seconds = grace_seconds
        self._waiters: list[_Waiter] = []
        self._withheld: dict[str, str] = {}  # Megolm session id -> withheld code
        self._lost: dict[str, None] = {}  # sessions already reported lost (ordered: oldest first)

    def try_decrypt(self, event: MegolmEvent) -> Event | None:
        try:
            decrypted: Event = self.client.decrypt_event(event)
        except EncryptionError:
            return None
        return decrypted

    async def wait(self, event: MegolmEvent) -> Event | None:
        decrypted = self.try_decrypt(event)
        if decrypted is not None:
            return decrypted
        code = self._withheld.get(event.session_id)
        if code is not None:
            logger.info("matrix: key of event %s withheld (%s)", event.event_id, code)
            return None
        logger.info("matrix: event %s undecryptable yet; requesting its key", event.event_id)
        waiter = _Waiter(event)
        self._waiters.append(waiter)  # before the request: a key or withheld notice may race it
        try:
            await self._request(event)
            return await asyncio.wait_for(asyncio.shield(waiter.decrypted), self.grace_seconds)
        except TimeoutError:
            return self.try_decrypt(event)
        finally:
            self._waiters.remove(waiter)

    def first_loss(self, event: MegolmEvent) -> bool:
        if event.session_id in self._lost:
            return False
        if len(self._lost) >= 10_000:
            self._lost.pop(next(iter(self._lost)))
        self._lost[event.session_id] = None
        return True

    def withheld(self, content: dict[str, object]) -> None:
        session_id, code = content.get("session_id"), content.get("code")
        if not isinstance(session_id, str) or not isinstance(code, str):
            return
        if len(self._withheld) >= 10_000:
            self._withheld.pop(next(iter(self._withheld)))  # forget the oldest
        self._withheld[session_id] = code
        for waiter in self._waiters:
            if waiter.event.session_id == session_id and not waiter.decrypted.done():
                logger.info("matrix: key of event %s withheld (%s)", waiter.event.event_id, code)
                waiter.decrypted.set_result(None)

    def retry(self) -> None:
        for waiter in self._waiters:
            if waiter.decrypted.done():
                continue
            decrypted = self.try_decrypt(waiter.event)
            if decrypted is not None:
                logger.info("matrix: late key arrived for %s", waiter.event.event_id)
                waiter.decrypted.set_result(decrypted)

    async def _request(self, event: MegolmEvent) -> None:
        client = self.client
        with contextlib.suppress(LocalProtocolError, *NETWORK_ERRORS):
            await client.request_room_key(event)  # our other devices, if any
        if event.device_id:
            # ...and the device that sent it (clients re-share with devices that were due a key)
            request = event.as_key_request(
                event.sender, client.device_id, device_id=event.device_id
            )
            with contextlib.suppress(LocalProtocolError, *NETWORK_ERRORS):
                await client.to_device(request)
