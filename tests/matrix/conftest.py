"""Fixtures for tests against a real Synapse homeserver (mark them `@pytest.mark.synapse`).

Fixtures
- `synapse` (session): one Synapse for the whole test session (SQLite, 127.0.0.1, free port,
  started in ~2 s). `synapse.register(localpart, password)` -> user id (exempt from rc_message
  unless `rate_limited=True`); `synapse.stop()` / `synapse.start()` / `synapse.restart()` keep
  the port and the database; `synapse.set_message_limit(user_id)` puts a user back under
  Synapse's default 0.2/s burst 10. If Synapse cannot start, the fixture fails with its log tail.
- `unique` (function): a short unique suffix for user names (tests share the server).
- `practitioners` (function): `await practitioners.new("mentor")` -> a `Practitioner`, an
  encrypted matrix-nio client syncing in the background (tests/matrix/practitioner.py);
  `await practitioners.new_device(mentor)` -> another device of the same practitioner.
  All clients are closed at the end of the test.
- `bots` (function): `await bots.start(handler, **matrix_config_overrides)` -> a started
  `MatrixChannel` for a new bot user (store under tmp_path, decryption grace 5 s);
  `await bots.restart(bot, handler)` stops it and starts a new channel on the same store (same
  device); `bots.register()` / `bots.config(user_id, **overrides)` for custom set-ups. All
  stopped at the end.
- `RecordingHandler`: a tiny real handler for adapter tests ("buttons", "alert", "picture", echo,
  refusals for `is_direct=False` / `encrypted=False`); `handler.seen` lists the `Incoming`s.

With the real chat layer (end-to-end tests)

    async def test_enrolment(bots, practitioners, chat_service):        # your fixture
        bot = await bots.start(chat_service.handle)
        mentor = await practitioners.new("mentor")
        room = await mentor.open_dm(bot.user_id)       # encrypted DM inviting the bot (is_direct)
        await mentor.say(room, "!start ABC123")        # "!" arrives as "/" in Incoming.text
        reply = await mentor.next_message(room, timeout=10)
        assert reply.msgtype == "m.notice" and "Welcome" in reply.body
        await mentor.say(room, "1")                    # answer a numbered option
        await mentor.no_message(room, wait=1.0)        # asserts silence (nothing doubled)

Practitioner API: `open_dm(user, encrypted=True, wait_join=False)`, `open_group(*users)`,
`join(room)`, `say(room, text)` -> event id, `send_content(room, content)`, `send_file(room,
name, data)`, `next_message(room, timeout=10)` -> `Message(body, msgtype, formatted_body,
content, sender, event_id, encrypted)` (an undecryptable event arrives as msgtype
"undecryptable"), `messages(room, n)`, `no_message(room, wait)`, `download(message)`,
`say_with_late_key(room, text, delay, send_key=True)`, `members(room)`, `wait_joined(room,
user)`, `wait_left(room, user)`, `wait_for(condition, timeout, what)`. Invites to the practitioner
are joined automatically (`auto_join=False` to refuse); its own history is not "received".
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from bot.channels.base import Handler
from bot.channels.matrix import MatrixChannel
from bot.channels.matrix_keyfile import BotKeys
from bot.config import MatrixConfig
from bot.messages import Button, Incoming, Reply
from tests.fakes.synapse import SynapseError, SynapseServer
from tests.matrix.crosssigning import cross_sign
from tests.matrix.practitioner import Message, Practitioner

__all__ = ["BotFactory", "Message", "Practitioner", "PractitionerFactory", "RecordingHandler"]

BOT_PASSWORD = "bot-password"
BOT_PICKLE_KEY = "a-real-pickle-key-for-tests-0123456789"
PRACTITIONER_PASSWORD = "practitioner-password"
NOT_ENCRYPTED = "Please start an encrypted direct message with me."
NOT_DIRECT = "I only work in direct messages."
#: the smallest valid PNG (1x1 transparent pixel)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynapseServer]:
    server = SynapseServer(tmp_path_factory.mktemp("synapse"))
    try:
        server.start()
    except SynapseError as exc:
        pytest.fail(f"Synapse did not start:\n{exc}", pytrace=False)
    yield server
    server.close()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:8]


@dataclass
class RecordingHandler:
    """Replies like a tiny chat layer and records what it got."""

    seen: list[Incoming] = field(default_factory=list)
    delay: float = 0.0

    async def __call__(self, incoming: Incoming) -> list[Reply]:
        self.seen.append(incoming)
        if self.delay:
            await asyncio.sleep(self.delay)
        if not incoming.is_direct:
            return [Reply(NOT_DIRECT)]
        if not incoming.encrypted:
            return [Reply(NOT_ENCRYPTED)]
        text = incoming.text or ""
        if text == "buttons":
            buttons = (Button("Call the on-call psychologist", "1.call"), Button("Talk", "1.talk"))
            return [Reply("What do you need?", buttons=buttons)]
        if text == "alert":
            return [Reply("Check-in for case <K-12> is due", kind="text")]
        if text == "picture":
            return [Reply("Here is the graph", attachment=("graph.png", PNG))]
        if incoming.document is not None:
            data = await incoming.document.fetch()
            return [Reply(f"got {incoming.document.file_name} ({len(data)} bytes)")]
        return [Reply(f"echo: {text}")]


class PractitionerFactory:
    def __init__(
        self, synapse: SynapseServer, directory: Path, suffix: str, *, strict: bool = False
    ) -> None:
        self.synapse = synapse
        self.directory = directory
        self.suffix = suffix
        #: new practitioners behave like Element's "exclude insecure devices"
        #: (tests/matrix/strict.py); the default of the end-to-end tests (tests/e2e)
        self.strict = strict
        self.clients: list[Practitioner] = []
        self.identities: dict[str, BotKeys] = {}  # user id -> cross-signing keys

    async def new(
        self,
        name: str = "mentor",
        *,
        auto_join: bool = True,
        cross_signed: bool = True,
        strict: bool | None = None,
    ) -> Practitioner:
        """A new practitioner; `cross_signed` (as Element does at first login): their account
        gets a cross-signing identity that signs this device; `strict` (default: the
        factory's) refuses and withholds keys from devices nobody cross-signed."""
        localpart = f"{name}-{self.suffix}-{len(self.clients)}"
        practitioner = await Practitioner.create(
            self.synapse,
            localpart,
            self.directory / localpart,
            auto_join=auto_join,
            strict=self.strict if strict is None else strict,
        )
        self.clients.append(practitioner)
        if cross_signed:
            self.identities[practitioner.user_id] = await cross_sign(
                practitioner.client, PRACTITIONER_PASSWORD
            )
        return practitioner

    async def new_device(
        self, practitioner: Practitioner, *, cross_signed: bool = True
    ) -> Practitioner:
        """Another device (e.g. a phone beside a laptop) of the same practitioner, signed by
        their identity when `cross_signed` (and they have one)."""
        localpart = f"device-{self.suffix}-{len(self.clients)}"
        device = await Practitioner.create(
            self.synapse,
            localpart,
            self.directory / localpart,
            auto_join=practitioner.auto_join,
            existing_user=practitioner.user_id,
            strict=practitioner.strict is not None,
        )
        self.clients.append(device)
        keys = self.identities.get(practitioner.user_id)
        if cross_signed and keys is not None:
            await cross_sign(device.client, PRACTITIONER_PASSWORD, keys)
        return device

    async def close(self) -> None:
        for client in self.clients:
            await client.close()


class BotFactory:
    def __init__(self, synapse: SynapseServer, directory: Path, suffix: str) -> None:
        self.synapse = synapse
        self.directory = directory
        self.suffix = suffix
        self.channels: list[MatrixChannel] = []

    def config(self, user_id: str, **overrides: object) -> MatrixConfig:
        values: dict[str, object] = {
            "enabled": True,
            "homeserver": self.synapse.base_url,
            "user_id": user_id,
            "store_path": str(self.directory / user_id.split(":")[0].lstrip("@")),
            "device_name": "Relais test",
            "decryption_grace": timedelta(seconds=5),
        }
        values.update(overrides)
        return MatrixConfig(**values)  # type: ignore[arg-type]

    def register(self, *, rate_limited: bool = False) -> str:
        localpart = f"relais-{self.suffix}-{len(self.channels)}"
        return self.synapse.register(localpart, BOT_PASSWORD, rate_limited=rate_limited)

    async def start(
        self,
        handler: Handler,
        *,
        user_id: str | None = None,
        rate_limited: bool = False,
        **overrides: object,
    ) -> MatrixChannel:
        """Start a channel for a new bot user (or `user_id`); `overrides` go to MatrixConfig
        (e.g. `store_path=...` for a fresh store, `decryption_grace=timedelta(seconds=1)`)."""
        user_id = user_id or self.register(rate_limited=rate_limited)
        channel = MatrixChannel(
            self.config(user_id, **overrides), BOT_PASSWORD, BOT_PICKLE_KEY, sync_timeout_ms=2000
        )
        self.channels.append(channel)
        await channel.start(handler)
        return channel

    async def restart(self, bot: MatrixChannel, handler: Handler) -> MatrixChannel:
        await bot.stop()
        channel = MatrixChannel(bot.config, BOT_PASSWORD, BOT_PICKLE_KEY, sync_timeout_ms=2000)
        self.channels.append(channel)
        await channel.start(handler)
        return channel

    async def close(self) -> None:
        for channel in self.channels:
            await channel.stop()  # idempotent


@pytest.fixture
async def practitioners(
    synapse: SynapseServer, tmp_path: Path, unique: str
) -> AsyncIterator[PractitionerFactory]:
    factory = PractitionerFactory(synapse, tmp_path / "practitioners", unique)
    yield factory
    await factory.close()


@pytest.fixture
async def bots(synapse: SynapseServer, tmp_path: Path, unique: str) -> AsyncIterator[BotFactory]:
    factory = BotFactory(synapse, tmp_path / "bots", unique)
    yield factory
    await factory.close()
