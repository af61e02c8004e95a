"""A practitioner's Matrix client for tests: matrix-nio with end-to-end encryption.

    practitioner = await Practitioner.create(synapse, "mentor", store_dir)
    room = await practitioner.open_dm(bot.user_id)            # encrypted DM, bot invited
    await practitioner.say(room, "/start ABC123")
    message = await practitioner.next_message(room, timeout=10)
    assert message.msgtype == "m.notice" and "Welcome" in message.body
    await practitioner.close()

It syncs in the background (with a small backoff when the homeserver is down) and keeps, per
room, the messages other users sent, in order. `strict=True` (or `make_strict()`) behaves like
current Element with "exclude insecure devices" (tests/matrix/strict.py): a message from a
device its owner has not cross-signed is refused (not received; its id is kept in
`refused`), and messages are encrypted only to cross-signed devices. `next_message` fails
the test with what it has seen when nothing arrives in time; an event it could not decrypt
arrives as msgtype "undecryptable" so that a test sees it instead of timing out.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    AsyncClientConfig,
    DownloadResponse,
    InviteMemberEvent,
    JoinResponse,
    LoginResponse,
    MegolmEvent,
    RoomCreateResponse,
    RoomMessage,
    RoomSendResponse,
    SyncResponse,
    ToDeviceMessage,
    UploadResponse,
)
from nio.api import RoomPreset
from nio.crypto.attachments import decrypt_attachment
from nio.store import SqliteStore

from tests.fakes.synapse import SynapseServer
from tests.matrix.strict import StrictTrust

__all__ = ["Message", "Practitioner"]

_ENCRYPTION = {
    "type": "m.room.encryption",
    "state_key": "",
    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
}


@dataclass(frozen=True, slots=True)
class Message:
    """One message the practitioner received."""

    room_id: str
    event_id: str
    sender: str
    msgtype: str  # m.text | m.notice | m.file | m.image | undecryptable
    body: str
    formatted_body: str = ""
    content: dict[str, Any] = field(default_factory=dict)
    encrypted: bool = False


class Practitioner:
    def __init__(self, client: AsyncClient, user_id: str, *, auto_join: bool = True) -> None:
        self.client = client
        self.user_id = user_id
        self.auto_join = auto_join
        self._inbox: dict[str, asyncio.Queue[Message]] = {}
        self._task: asyncio.Task[None] | None = None
        self._synced = asyncio.Event()
        self.seen: list[Message] = []
        self.strict: StrictTrust | None = None

    def make_strict(self) -> None:
        """From now on, behave like Element with "exclude insecure devices"."""
        self.strict = StrictTrust(self.client)

    @property
    def refused(self) -> list[str]:
        """Event ids of messages refused (strict): their device was not cross-signed."""
        return self.strict.refused if self.strict is not None else []

    @classmethod
    async def create(
        cls,
        synapse: SynapseServer,
        localpart: str,
        store_dir: Path,
        *,
        auto_join: bool = True,
        existing_user: str = "",
        strict: bool = False,
    ) -> Practitioner:
        """Register `localpart` and log in; with `existing_user`, log in one more device."""
        password = "practitioner-password"
        user_id = existing_user or synapse.register(localpart, password)
        await asyncio.to_thread(store_dir.mkdir, parents=True, exist_ok=True)
        client = AsyncClient(
            synapse.base_url,
            user_id,
            store_path=str(store_dir),
            config=AsyncClientConfig(
                store=SqliteStore,
                encryption_enabled=True,
                pickle_key="practitioner-test-pickle-key",
                max_limit_exceeded=None,
                max_timeouts=0,
            ),
        )
        response = await client.login(password, device_name="practitioner phone")
        assert isinstance(response, LoginResponse), response
        practitioner = cls(client, user_id, auto_join=auto_join)
        if strict:
            practitioner.make_strict()
        if client.should_upload_keys:
            await client.keys_upload()
        practitioner._task = asyncio.create_task(practitioner._sync_loop())
        await asyncio.wait_for(practitioner._synced.wait(), 10)
        return practitioner

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

    # -- rooms ------------------------------------------------------------------------------

    async def open_dm(self, other: str, *, encrypted: bool = True, wait_join: bool = False) -> str:
        """Create a direct chat inviting `other` (as Element does); return its room id."""
        response = await self.client.room_create(
            is_direct=True,
            invite=[other],
            preset=RoomPreset.trusted_private_chat,
            initial_state=[_ENCRYPTION] if encrypted else [],
        )
        assert isinstance(response, RoomCreateResponse), response
        room_id: str = response.room_id
        await self.wait_for(lambda: other in self._room_users(room_id), what="room in sync")
        if wait_join:
            await self.wait_joined(room_id, other)
        return room_id

    async def open_group(self, *others: str, encrypted: bool = True) -> str:
        response = await self.client.room_create(
            invite=list(others),
            preset=RoomPreset.private_chat,
            initial_state=[_ENCRYPTION] if encrypted else [],
        )
        assert isinstance(response, RoomCreateResponse), response
        room_id: str = response.room_id
        await self.wait_for(lambda: room_id in self.client.rooms, what="room in sync")
        return room_id

    async def join(self, room_id: str) -> None:
        response = await self.client.join(room_id)
        assert isinstance(response, JoinResponse), response
        await self.wait_for(lambda: room_id in self.client.rooms, what="joined room in sync")

    def members(self, room_id: str, *, joined_only: bool = True) -> set[str]:
        room = self.client.rooms.get(room_id)
        if room is None:
            return set()
        return {uid for uid, user in room.users.items() if not (joined_only and user.invited)}

    async def wait_joined(self, room_id: str, user_id: str, timeout: float = 15) -> None:  # noqa: ASYNC109
        await self.wait_for(
            lambda: user_id in self.members(room_id), timeout, what=f"{user_id} to join"
        )

    async def wait_left(self, room_id: str, user_id: str, timeout: float = 15) -> None:  # noqa: ASYNC109
        await self.wait_for(
            lambda: user_id not in self.members(room_id, joined_only=False),
            timeout,
            what=f"{user_id} to leave",
        )

    # -- messages ---------------------------------------------------------------------------

    async def say(self, room_id: str, text: str, *, tx_id: str | None = None) -> str:
        """Send an (encrypted, in an encrypted room) text message; return its event id."""
        return await self.send_content(room_id, {"msgtype": "m.text", "body": text}, tx_id=tx_id)

    async def send_content(
        self, room_id: str, content: dict[str, Any], *, tx_id: str | None = None
    ) -> str:
        """Send any m.room.message content (edits, replies...); return its event id."""
        await self._prepare(room_id)
        response = await self.client.room_send(
            room_id, "m.room.message", content, tx_id=tx_id, ignore_unverified_devices=True
        )  # strict: unsigned devices are blacklisted by _prepare, so they get no key
        assert isinstance(response, RoomSendResponse), response
        event_id: str = response.event_id
        return event_id

    async def say_with_late_key(
        self, room_id: str, text: str, delay: float, *, send_key: bool = True
    ) -> str:
        """Send a message whose room key reaches the other members only `delay` s later (or,
        with `send_key=False`, never: the session is dropped)."""
        client = self.client
        assert client.olm is not None
        await self._prepare(room_id)
        client.olm.create_outbound_group_session(room_id)
        session = client.olm.outbound_group_sessions[room_id]
        key_content = {
            "algorithm": "m.megolm.v1.aes-sha2",
            "room_id": room_id,
            "session_id": session.id,
            "session_key": session.session_key,  # exported before the first message
        }
        session.shared = True  # nio will not share it itself
        event_id = await self.say(room_id, text)
        if not send_key:
            client.olm.outbound_group_sessions.pop(room_id, None)
            return event_id
        await asyncio.sleep(delay)
        for user_id in self.members(room_id, joined_only=False) - {self.user_id}:
            for device in client.olm.device_store.active_user_devices(user_id):
                olm_session = client.olm.session_store.get(device.curve25519)
                assert olm_session is not None, f"no Olm session with {device.id}"
                payload = client.olm._olm_encrypt(olm_session, device, "m.room_key", key_content)
                message = ToDeviceMessage("m.room.encrypted", user_id, device.id, payload)
                await client.to_device(message)
        # the next message must not reuse the session others got late
        client.olm.outbound_group_sessions.pop(room_id, None)
        return event_id

    async def send_file(self, room_id: str, name: str, data: bytes) -> str:
        """Send an encrypted attachment (m.file), as Element does in an encrypted room."""
        await self._prepare(room_id)
        upload, keys = await self.client.upload(
            io.BytesIO(data),
            content_type="text/plain",
            filename=name,
            encrypt=True,
            filesize=len(data),
        )
        assert isinstance(upload, UploadResponse), upload
        content = {
            "msgtype": "m.file",
            "body": name,
            "filename": name,
            "info": {"size": len(data), "mimetype": "text/plain"},
            "file": {**keys, "url": upload.content_uri},
        }
        response = await self.client.room_send(
            room_id, "m.room.message", content, ignore_unverified_devices=True
        )
        assert isinstance(response, RoomSendResponse), response
        event_id: str = response.event_id
        return event_id

    async def download(self, message: Message) -> bytes:
        """The bytes of an attachment the practitioner received (decrypted if encrypted)."""
        file = message.content.get("file")
        url = file["url"] if file else message.content["url"]
        response = await self.client.download(url)
        assert isinstance(response, DownloadResponse), response
        body: bytes = response.body
        if file:
            return bytes(
                decrypt_attachment(body, file["key"]["k"], file["hashes"]["sha256"], file["iv"])
            )
        return body

    async def next_message(self, room_id: str, timeout: float = 10) -> Message:  # noqa: ASYNC109
        queue = self._inbox.setdefault(room_id, asyncio.Queue())
        try:
            return await asyncio.wait_for(queue.get(), timeout)
        except TimeoutError:
            seen = [(m.msgtype, m.body[:60]) for m in self.seen if m.room_id == room_id]
            raise AssertionError(
                f"no message in {room_id} within {timeout}s; seen so far: {seen}"
            ) from None

    async def messages(self, room_id: str, count: int, timeout: float = 10) -> list[Message]:  # noqa: ASYNC109
        """The next `count` messages (timeout applies to each)."""
        return [await self.next_message(room_id, timeout) for _ in range(count)]

    async def no_message(self, room_id: str, wait: float = 1.5) -> None:
        """Assert nothing arrives in `room_id` for `wait` seconds."""
        queue = self._inbox.setdefault(room_id, asyncio.Queue())
        with contextlib.suppress(TimeoutError):
            message = await asyncio.wait_for(queue.get(), wait)
            raise AssertionError(f"unexpected message: {message.msgtype} {message.body[:60]!r}")

    # -- internals --------------------------------------------------------------------------

    def _room_users(self, room_id: str) -> set[str]:
        room = self.client.rooms.get(room_id)
        return set(room.users) if room is not None else set()

    async def wait_for(self, condition: Any, timeout: float = 15, what: str = "") -> None:  # noqa: ASYNC109
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}")
            await asyncio.sleep(0.05)

    async def _prepare(self, room_id: str) -> None:
        """Like a real client: know every member's devices before encrypting."""
        client = self.client
        room = client.rooms.get(room_id)
        if room is None or not room.encrypted or client.olm is None:
            return
        for user_id in room.users:
            if user_id not in client.olm.device_store.users:
                client.olm.users_for_key_query.add(user_id)
        if client.should_query_keys:
            await client.keys_query()
        missing = client.get_missing_sessions(room_id)
        if missing:
            await client.keys_claim(missing)
        if self.strict is not None:
            await self.strict.restrict(room_id, room.users)

    async def _sync_loop(self) -> None:
        client = self.client
        failures = 0
        while True:
            try:
                response = await client.sync(timeout=500 if self._synced.is_set() else 0)
                if not isinstance(response, SyncResponse):
                    raise ConnectionError(str(response))
                failures = 0
                if client.outgoing_to_device_messages:
                    await client.send_to_device_messages()
                if client.should_upload_keys:
                    await client.keys_upload()
                if client.should_query_keys:
                    await client.keys_query()
                if client.should_claim_keys:
                    await client.keys_claim(client.get_users_for_key_claiming())
                await self._on_sync(response)
                self._synced.set()
            except (ClientError, TimeoutError, ConnectionError):
                failures += 1
                await asyncio.sleep(min(1.0, 0.1 * failures))

    async def _on_sync(self, response: SyncResponse) -> None:
        if self.auto_join:
            for room_id, info in response.rooms.invite.items():
                if any(
                    isinstance(e, InviteMemberEvent) and e.state_key == self.user_id
                    for e in info.invite_state
                ):
                    await self.client.join(room_id)
        if not self._synced.is_set():
            return  # history from before this device logged in is not "received"
        for room_id, info in response.rooms.join.items():
            for event in info.timeline.events:
                if event.sender == self.user_id:
                    continue
                message: Message | None = None
                if isinstance(event, MegolmEvent):
                    message = Message(room_id, event.event_id, event.sender, "undecryptable", "")
                elif isinstance(event, RoomMessage):
                    if (
                        self.strict is not None
                        and event.decrypted
                        and not await self.strict.accepts(room_id, event)
                    ):
                        continue  # Element does not show it: not received
                    content = event.source.get("content", {})
                    message = Message(
                        room_id,
                        event.event_id,
                        event.sender,
                        str(content.get("msgtype", "")),
                        str(content.get("body", "")),
                        str(content.get("formatted_body", "")),
                        dict(content),
                        bool(event.decrypted),
                    )
                if message is not None:
                    self.seen.append(message)
                    self._inbox.setdefault(room_id, asyncio.Queue()).put_nowait(message)
