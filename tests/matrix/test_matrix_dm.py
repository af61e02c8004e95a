"""The Matrix adapter in encrypted direct messages, against a real Synapse."""

from __future__ import annotations

import pytest

from tests.matrix.conftest import (
    NOT_DIRECT,
    NOT_ENCRYPTED,
    PNG,
    BotFactory,
    PractitionerFactory,
    RecordingHandler,
)

pytestmark = pytest.mark.synapse


async def test_first_message_of_a_fresh_encrypted_dm_is_answered(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")

    room = await mentor.open_dm(bot.user_id)  # the bot is only invited: it has not joined yet
    event_id = await mentor.say(room, "hello")

    reply = await mentor.next_message(room, timeout=15)
    assert reply.body == "echo: hello"
    assert reply.encrypted
    assert reply.msgtype == "m.notice"
    [incoming] = handler.seen
    assert (incoming.channel, incoming.chat_id) == ("matrix", room)
    assert (incoming.user_id, incoming.event_id) == (mentor.user_id, event_id)
    assert incoming.encrypted
    assert incoming.is_direct


async def test_options_numbered_notice_and_mention(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(RecordingHandler())
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)

    await mentor.say(room, "buttons")
    menu = await mentor.next_message(room)
    assert menu.msgtype == "m.notice"
    assert menu.body == "What do you need?\n\n1. Call the on-call psychologist\n2. Talk"
    assert "<ol><li>Call the on-call psychologist</li><li>Talk</li></ol>" in menu.formatted_body

    await mentor.say(room, "alert")
    alert = await mentor.next_message(room)
    assert alert.msgtype == "m.text"
    assert alert.body == f"{mentor.user_id}: Check-in for case <K-12> is due"
    assert "&lt;K-12&gt;" in alert.formatted_body  # user-visible text is escaped
    assert f'href="https://matrix.to/#/{mentor.user_id}"' in alert.formatted_body
    assert alert.content["m.mentions"] == {"user_ids": [mentor.user_id]}


async def test_bang_commands_reach_the_chat_layer_as_slash_commands(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)

    await mentor.say(room, "!sos")
    assert (await mentor.next_message(room)).body == "echo: /sos"
    await mentor.say(room, "! not a command")
    assert (await mentor.next_message(room)).body == "echo: ! not a command"


async def test_unencrypted_room_gets_only_the_refusal(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, encrypted=False, wait_join=True)

    await mentor.say(room, "buttons")
    reply = await mentor.next_message(room)
    assert reply.body == NOT_ENCRYPTED
    assert not reply.encrypted
    assert handler.seen[-1].encrypted is False
    await mentor.no_message(room, wait=1.0)


async def test_bot_rejects_group_invites_and_leaves_rooms_that_grow(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    colleague = await practitioners.new("colleague")

    group = await mentor.open_group(bot.user_id, colleague.user_id)
    await mentor.wait_left(group, bot.user_id)  # invite rejected

    room = await mentor.open_dm(bot.user_id, wait_join=True)
    await mentor.say(room, "before")
    assert (await mentor.next_message(room)).body == "echo: before"
    invite = await mentor.client.room_invite(room, colleague.user_id)
    assert type(invite).__name__ == "RoomInviteResponse", invite
    await mentor.wait_left(room, bot.user_id)
    await mentor.say(room, "case details")
    await mentor.no_message(room, wait=1.5)
    assert all(i.text != "case details" for i in handler.seen)
    assert NOT_DIRECT  # the handler's refusal text exists for messages raced in before leaving


async def test_encrypted_attachments_both_ways(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)

    draft = b"id: my_dialog\n" * 50
    await mentor.send_file(room, "draft.yaml", draft)
    assert (await mentor.next_message(room)).body == f"got draft.yaml ({len(draft)} bytes)"
    document = handler.seen[-1].document
    assert document is not None
    assert (document.file_name, document.size) == ("draft.yaml", len(draft))

    await mentor.say(room, "picture")
    text = await mentor.next_message(room)
    image = await mentor.next_message(room)
    assert text.body == "Here is the graph"
    assert image.msgtype == "m.image"
    assert "url" not in image.content  # encrypted room: only the encrypted file reference
    assert await mentor.download(image) == PNG


async def test_first_message_sent_while_bot_offline_and_only_invited(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)  # uploads its device keys, then goes offline
    await bot.stop()
    mentor = await practitioners.new("mentor")

    room = await mentor.open_dm(bot.user_id)
    assert bot.user_id not in mentor.members(room)  # invited, not joined
    await mentor.say(room, "are you there?")
    await mentor.say(room, "hello?")
    bot = await bots.restart(bot, handler)

    replies = await mentor.messages(room, 2, timeout=15)
    assert [r.body for r in replies] == ["echo: are you there?", "echo: hello?"]
    assert [i.text for i in handler.seen] == ["are you there?", "hello?"]


async def test_edits_and_notices_are_not_answered_and_reply_quotes_are_stripped(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = RecordingHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)
    first = await mentor.say(room, "helo")
    assert (await mentor.next_message(room)).body == "echo: helo"

    await mentor.send_content(
        room,
        {
            "msgtype": "m.text",
            "body": "* hello",
            "m.new_content": {"msgtype": "m.text", "body": "hello"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": first},
        },
    )
    await mentor.send_content(room, {"msgtype": "m.notice", "body": "automatic notice"})
    await mentor.send_content(
        room,
        {
            "msgtype": "m.text",
            "body": f"> <{bot.user_id}> echo: helo\n\nyes",
            "m.relates_to": {"m.in_reply_to": {"event_id": first}},
        },
    )
    assert (await mentor.next_message(room)).body == "echo: yes"
    assert [i.text for i in handler.seen] == ["helo", "yes"]
