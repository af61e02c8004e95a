"""A channel says whether it is confidential (`Incoming.confidential`); the policy says what a
confidential channel may carry (`bot.policy.channel_may`); the chat layer asks the policy and
never tests a channel's name. (Telegram's adapter: tests/telegram/test_confidential.py.)"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from nio import MatrixRoom, RoomMessageText

from bot.channels.console import ConsoleChannel
from bot.channels.matrix_incoming import to_incoming
from bot.messages import Incoming, Reply
from bot.policy import NEEDS_CONFIDENTIAL_CHANNEL, Action, channel_may
from tests.chat.conftest import Chat, World, texts

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_only_a_confidential_channel_carries_case_notes() -> None:
    assert {
        Action.READ_NOTES,
        Action.LOG_NOTE,
        Action.AMEND_NOTE,
        Action.VIEW_CASE,
        Action.MANAGE_CASE,
    } == NEEDS_CONFIDENTIAL_CHANNEL
    for action in Action:
        assert channel_may(action, confidential=True)
        assert channel_may(action, confidential=False) is (
            action not in NEEDS_CONFIDENTIAL_CHANNEL
        )


def _matrix_message(encrypted: bool) -> Incoming | None:
    room = MatrixRoom("!dm:hs", "@relais:hs", encrypted=encrypted)
    room.add_member("@relais:hs", "Relais", None)
    room.add_member("@mina:hs", "Mina", None)
    event = RoomMessageText.from_dict(
        {
            "type": "m.room.message",
            "event_id": "$e1",
            "sender": "@mina:hs",
            "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": "/notes"},
        }
    )
    return to_incoming(
        None,  # type: ignore[arg-type]
        room,
        "!dm:hs",
        event,
        encrypted=encrypted,
        now=lambda: NOW,
        encryption_required=True,  # [matrix] require_encryption
    )


def test_a_matrix_message_is_confidential_when_its_room_is_encrypted() -> None:
    encrypted, plain = _matrix_message(True), _matrix_message(False)
    assert encrypted is not None
    assert plain is not None
    assert (encrypted.channel, encrypted.confidential) == ("matrix", True)
    assert (plain.channel, plain.confidential) == ("matrix", False)
    # the chat layer refuses an unencrypted room by this declaration, not by the channel name
    assert (encrypted.encryption_required, plain.encryption_required) == (True, True)


async def test_the_console_is_confidential() -> None:
    seen: list[Incoming] = []

    async def handler(incoming: Incoming) -> list[Reply]:
        seen.append(incoming)
        return []

    console = ConsoleChannel("mina", stdout=io.StringIO(), now=lambda: NOW)
    console._handler = handler  # as start() sets it, without the stdin reader
    await console.submit("/notes")
    assert [(i.channel, i.confidential) for i in seen] == [("console", True)]


async def test_the_chat_layer_follows_the_declared_property_not_the_channel_name(
    world: World,
) -> None:
    """A channel named like no other that declares itself confidential carries notes; an
    encrypted chat whose adapter declared it not confidential does not."""
    invite = await world.relais.create_invite(role="mentor", name="Nina", team="Team A")
    odd = Chat(world.service, world.clock, "n-1", channel="pigeon", confidential=True)
    assert "Welcome" in texts(await odd.say(f"/start {invite.code}"))
    await world.relais.add_member("K-1", "Nina", role="mentor")
    assert "Note logged on case K-1" in texts(await odd.say("/note K-1 calmer today"))
    plain = Chat(world.service, world.clock, "n-1", channel="pigeon", confidential=False)
    replies = await plain.say("/note K-1 very sensitive text")
    assert "cannot be logged or shown here" in texts(replies)
    assert "cannot be logged or shown here" in texts(await plain.say("/notes K-1"))
    nina = await world.relais.identify("pigeon", "n-1")
    assert nina is not None
    assert [note.body for note in await world.relais.list_notes(nina, "K-1")] == ["calmer today"]


async def test_a_channel_requiring_encryption_is_refused_unencrypted_whatever_its_name(
    world: World,
) -> None:
    import dataclasses

    invite = await world.relais.create_invite(role="mentor", name="Pim", team="Team A")
    pim = Chat(world.service, world.clock, "p-1", channel="pigeon")
    assert "Welcome" in texts(await pim.say(f"/start {invite.code}"))
    plain = Incoming(
        channel="pigeon",
        chat_id="chat-p-1",
        user_id="p-1",
        event_id="plain-1",
        received_at=world.clock.now(),
        text="/sos",
        encrypted=False,
    )
    assert "112" in texts(await world.service.handle(plain))  # not required: answered
    required = dataclasses.replace(plain, event_id="plain-2", encryption_required=True)
    refused = texts(await world.service.handle(required))
    assert "encrypted" in refused
    assert "112" not in refused
