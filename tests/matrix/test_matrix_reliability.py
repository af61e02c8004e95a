"""Nothing lost, nothing doubled: late keys, restarts, rate limits, idempotent sends."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from nio import ToDeviceMessage, ToDeviceResponse

from bot.channels.matrix import DEFAULT_UNDECRYPTABLE_TEXT
from bot.channels.matrix_keyfile import KEY_FILE
from bot.messages import Reply
from tests.fakes.synapse import SynapseServer
from tests.matrix.conftest import BotFactory, PractitionerFactory, RecordingHandler

pytestmark = pytest.mark.synapse


async def test_message_whose_key_arrives_late_is_answered(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler, decryption_grace=timedelta(seconds=8))
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)

    started = time.monotonic()
    event_id = await mentor.say_with_late_key(room, "late key", delay=2.0)
    reply = await mentor.next_message(room, timeout=15)

    assert reply.body == "echo: late key"
    assert time.monotonic() - started >= 2.0
    assert [i.event_id for i in handler.seen] == [event_id]
    await mentor.say(room, "next")  # the room is not stuck behind the late message
    assert (await mentor.next_message(room)).body == "echo: next"


async def test_message_whose_key_never_arrives_asks_to_resend(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler, decryption_grace=timedelta(seconds=1))
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)

    await mentor.say_with_late_key(room, "lost key", delay=30.0, send_key=False)
    reply = await mentor.next_message(room, timeout=10)
    assert reply.body == DEFAULT_UNDECRYPTABLE_TEXT
    assert handler.seen == []
    await mentor.say(room, "again")
    assert (await mentor.next_message(room)).body == "echo: again"


async def test_message_whose_key_was_withheld_asks_to_resend_at_once(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler, decryption_grace=timedelta(seconds=120))
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)
    olm = mentor.client.olm
    assert olm is not None

    # as Element does for a device it will not trust: the message, then m.room_key.withheld
    olm.create_outbound_group_session(room)
    session = olm.outbound_group_sessions[room]
    session.shared = True  # nio will not share the key
    await mentor.say(room, "withheld")
    await mentor.say(room, "withheld too")  # same session: one request to resend for both
    withheld = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "room_id": room,
        "session_id": session.id,
        "sender_key": olm.account.identity_keys["curve25519"],
        "code": "m.unverified",
        "reason": "The sender has disabled encrypting to unverified devices.",
    }
    sent = await mentor.client.to_device(
        ToDeviceMessage("m.room_key.withheld", bot.user_id, bot.device_id, withheld)
    )
    assert isinstance(sent, ToDeviceResponse), sent
    olm.outbound_group_sessions.pop(room, None)

    # answered long before the 120 s grace period, once for the session
    reply = await mentor.next_message(room, timeout=15)
    assert reply.body == DEFAULT_UNDECRYPTABLE_TEXT
    await mentor.no_message(room, wait=3.0)
    assert handler.seen == []
    await mentor.say(room, "again")
    assert (await mentor.next_message(room)).body == "echo: again"


async def test_homeserver_restart_mid_conversation_is_survived(
    synapse: SynapseServer, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)
    await mentor.say(room, "one")
    assert (await mentor.next_message(room)).body == "echo: one"

    # The homeserver goes down while the bot is working on an answer.
    handler.delay = 1.0
    await mentor.say(room, "two")
    await mentor.wait_for(lambda: len(handler.seen) == 2, what="the bot to get 'two'")
    errors_before = bot.sync_errors
    await asyncio.to_thread(synapse.stop)
    await asyncio.sleep(2.0)
    await asyncio.to_thread(synapse.start)
    handler.delay = 0.0

    assert (await mentor.next_message(room, timeout=30)).body == "echo: two"
    await mentor.say(room, "three")
    assert (await mentor.next_message(room, timeout=20)).body == "echo: three"
    await mentor.no_message(room, wait=1.0)
    # the outage was noticed, and the bot backed off instead of hammering the server
    assert 1 <= bot.sync_errors - errors_before <= 8


@pytest.mark.slow
async def test_burst_under_default_rate_limit_loses_nothing(
    synapse: SynapseServer, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    # The bot is under Synapse's default rc_message (0.2/s, burst 10); the mentor is not.
    bot = await bots.start(handler, rate_limited=True)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)

    texts = [f"m{n}" for n in range(20)]
    for text in texts:
        await mentor.say(room, text)
    replies = await mentor.messages(room, len(texts), timeout=20)

    assert [r.body for r in replies] == [f"echo: {t}" for t in texts]
    assert bot.rate_limited_count > 0  # the limit was really hit, and waited out
    await mentor.no_message(room, wait=1.0)


async def test_send_to_user_twice_with_one_key_posts_once(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(RecordingHandler())
    mentor = await practitioners.new("mentor")  # joins invites by itself

    first = await bot.send_to_user(mentor.user_id, Reply("Check-in due", kind="text"), "ck-1")
    second = await bot.send_to_user(mentor.user_id, Reply("Check-in due", kind="text"), "ck-1")
    assert first.status == second.status == "sent"
    assert first.message_id == second.message_id

    room = bot.state.direct_room(mentor.user_id)
    assert room is not None
    message = await mentor.next_message(room, timeout=15)
    assert message.body == f"{mentor.user_id}: Check-in due"
    assert message.msgtype == "m.text"
    assert message.encrypted
    third = await bot.send_to_user(mentor.user_id, Reply("Another"), "ck-2")
    assert third.status == "sent"
    assert (await mentor.next_message(room)).body == "Another"  # same room, once
    await mentor.no_message(room, wait=1.0)


async def test_send_to_unknown_user_is_unreachable(bots: BotFactory) -> None:
    bot = await bots.start(RecordingHandler())
    result = await bot.send_to_user("@nobody-here:localhost", Reply("hello"), "k-1")
    assert result.status == "unreachable"


async def test_bot_restart_keeps_device_and_does_not_answer_twice(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    device_id = bot.device_id
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)
    await mentor.say(room, "before restart")
    assert (await mentor.next_message(room)).body == "echo: before restart"
    credentials = bot.store_path / "credentials.json"
    assert os.stat(credentials).st_mode & 0o777 == 0o600

    await bot.stop()
    await mentor.say(room, "while down")  # answered after the restart, not lost
    after = RecordingHandler()
    bot = await bots.restart(bot, after)

    assert bot.device_id == device_id
    assert (await mentor.next_message(room, timeout=15)).body == "echo: while down"
    await mentor.say(room, "after restart")
    assert (await mentor.next_message(room)).body == "echo: after restart"
    assert [i.text for i in after.seen] == ["while down", "after restart"]
    await mentor.no_message(room, wait=1.0)


async def test_every_device_of_the_practitioner_can_read_the_answer(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(RecordingHandler())
    laptop = await practitioners.new("mentor")
    room = await laptop.open_dm(bot.user_id, wait_join=True)
    await laptop.say(room, "one")
    assert (await laptop.next_message(room)).body == "echo: one"

    phone = await practitioners.new_device(laptop)  # a device the bot has never seen

    def bot_knows_phone() -> bool:
        devices = bot.client.device_store.active_user_devices(laptop.user_id)
        return phone.client.device_id in {device.id for device in devices}

    # the homeserver announces the new device in the bot's sync (device_lists.changed); a
    # message sent before that announcement cannot be encrypted for it (as with any client)
    await laptop.wait_for(bot_knows_phone, what="the bot to query the new device's keys")
    await laptop.say(room, "two")
    on_laptop = await laptop.next_message(room)
    on_phone = await phone.next_message(room)
    assert on_laptop.body == on_phone.body == "echo: two"
    assert on_phone.encrypted


async def test_new_store_on_an_existing_account_does_not_answer_history(
    bots: BotFactory, practitioners: PractitionerFactory, tmp_path: Path
) -> None:
    bot = await bots.start(RecordingHandler())
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)
    await mentor.say(room, "old message")
    assert (await mentor.next_message(room)).body == "echo: old message"
    await bot.stop()

    # a new store with only the backed-up cross-signing key file: a new device, same identity
    (tmp_path / "fresh").mkdir()
    shutil.copy(bot.store_path / KEY_FILE, tmp_path / "fresh" / KEY_FILE)
    handler = RecordingHandler()
    fresh = await bots.start(handler, user_id=bot.user_id, store_path=str(tmp_path / "fresh"))
    assert fresh.device_id != bot.device_id
    await mentor.no_message(room, wait=1.5)
    assert handler.seen == []
    await mentor.say(room, "new message")
    assert (await mentor.next_message(room, timeout=15)).body == "echo: new message"


async def test_message_being_handled_when_the_bot_stops_is_answered_after_restart(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    stuck = RecordingHandler(delay=60.0)
    bot = await bots.start(stuck)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)
    await mentor.say(room, "in flight")
    await mentor.wait_for(lambda: len(stuck.seen) == 1, what="the bot to start handling")
    await bot.stop(drain_timeout=0.2)  # the handler is cancelled mid-way

    handler = RecordingHandler()
    bot = await bots.restart(bot, handler)
    assert (await mentor.next_message(room, timeout=15)).body == "echo: in flight"
    assert [i.text for i in handler.seen] == ["in flight"]


async def test_bot_starting_while_the_homeserver_is_down_serves_once_it_is_back(
    synapse: SynapseServer, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)
    await bot.stop()

    await asyncio.to_thread(synapse.stop)
    try:
        started = time.monotonic()
        bot = await bots.restart(bot, handler)  # saved device: no login needed
        assert time.monotonic() - started < 5  # start does not wait for the homeserver
    finally:
        await asyncio.to_thread(synapse.start)
    await mentor.say(room, "are you back?")
    assert (await mentor.next_message(room, timeout=30)).body == "echo: are you back?"
