"""The chat layer end to end on a real database: enrolment, commands, a dialog, notes."""

from __future__ import annotations

from tests.chat.conftest import Chat, World, texts


async def test_unknown_person_gets_one_neutral_reply(world: World) -> None:
    stranger = world.chat("stranger")
    for message in ("/help", "/cases", "/sos", "hello", "/note K-1 hi"):
        replies = await stranger.say(message)
        assert len(replies) == 1
        assert "invitation code" in replies[0].text
        assert "K-1" not in replies[0].text
        assert "112" not in replies[0].text
        assert not replies[0].buttons


async def test_bad_invite_code_is_refused_and_rate_limited(world: World) -> None:
    stranger = world.chat("stranger")
    for _ in range(5):
        assert "not valid" in texts(await stranger.say("/start WRONGCODE123"))
    assert "Too many attempts" in texts(await stranger.say("/start WRONGCODE123"))


async def test_help_lists_commands_and_psychologist_extras(world: World) -> None:
    assert "/sos" in texts(await world.chat("alex").say("/help"))
    assert "/preview" not in texts(world.chat("alex").last)
    assert "/preview" in texts(await world.chat("pia").say("/help"))


async def test_sos_shows_contacts_without_a_dialog(world: World) -> None:
    replies = await world.chat("alex").say("/sos")
    assert replies[0].kind == "alert"
    assert "112" in replies[0].text
    assert "Dr Martin" in replies[0].text


async def test_crisis_emergency_is_one_tap_away(world: World) -> None:
    alex = world.chat("alex")
    replies = await alex.say("/crisis")
    assert "What is happening, Alex?" in texts(replies)
    assert alex.buttons()[0] == "Emergency contacts"
    replies = await alex.press("Emergency contacts")
    assert "112" in texts(replies)
    assert "Call now." in texts(replies)


async def test_crisis_full_path_logs_note_and_survives_restart(world: World) -> None:
    alex = world.chat("alex")
    await alex.say("/crisis")
    await alex.press("A difficult talk")
    replies = await alex.say("x")  # too short: validation keeps the state
    assert "What happened" in texts(replies)
    replies = await alex.say("He shouted about his brother's funeral")
    assert alex.buttons() == ["Yes", "No", "Emergency contacts"]
    # a restart: a brand-new service on the same database resumes the conversation
    from bot.chat.service import ChatService

    old = world.service
    alex.service = ChatService(old.backend, old.dialogs, old.catalog, world.clock, world.config)
    replies = await alex.press("Yes")
    # Alex has exactly one case? No: K-1 only (K-2 is Cora's). One case: logged at once.
    assert "Note logged on case K-1" in texts(replies), texts(replies)
    notes = await world.relais.list_notes(
        await world.relais.identify("console", "user-alex"), "K-1"
    )
    assert notes[0].body == "Debrief: He shouted about his brother's funeral"
    assert notes[0].tags == ("trigger",)


async def test_stale_button_gets_expired_and_fresh_menu(world: World) -> None:
    alex = world.chat("alex")
    first = await alex.say("/crisis")
    old_token = first[-1].buttons[1].token
    await alex.press("A difficult talk")
    replies = await alex.send(button=old_token)
    assert "expired" in texts(replies)
    assert "What happened" in texts(replies)


async def test_typed_number_picks_an_option(world: World) -> None:
    alex = world.chat("alex")
    await alex.say("/crisis")
    replies = await alex.say("2")
    assert "What happened" in texts(replies)


async def test_free_text_outside_a_dialog_gets_a_helpful_reply(world: World) -> None:
    replies = await world.chat("alex").say("hello?")
    assert "/crisis" in texts(replies)
    assert "/sos" in texts(replies)


async def test_sos_mid_dialog_keeps_the_dialog(world: World) -> None:
    alex = world.chat("alex")
    await alex.say("/crisis")
    await alex.press("A difficult talk")
    replies = await alex.say("/sos")
    assert "112" in texts(replies)
    assert "What happened" in texts(replies)
    replies = await alex.say("He is calm now")
    assert alex.buttons() == ["Yes", "No", "Emergency contacts"]


async def test_cancel_ends_the_dialog(world: World) -> None:
    alex = world.chat("alex")
    await alex.say("/crisis")
    assert "Stopped" in texts(await alex.say("/cancel"))
    assert "Nothing is running" in texts(await alex.say("/cancel"))


async def test_quick_note_and_notes_listing(world: World) -> None:
    alex = world.chat("alex")
    assert "Note logged on case K-1" in texts(await alex.say("/note k-1 Calmer today"))
    replies = await alex.say("/notes K-1")
    assert "Calmer today" in texts(replies)


async def test_guided_note_picks_case_text_and_tag(world: World) -> None:
    cora = world.chat("cora")
    replies = await cora.say("/note")
    assert cora.buttons() == ["K-1", "K-2"]
    replies = await cora.press("K-2")
    assert "Type the note for case K-2" in texts(replies)
    replies = await cora.say("Missed the appointment")
    assert "progress" in cora.buttons()
    replies = await cora.press("concern")
    assert "Note logged on case K-2" in texts(replies)
    cora_actor = await world.relais.identify("console", "user-cora")
    notes = await world.relais.list_notes(cora_actor, "K-2")
    assert notes[0].tags == ("concern",)


async def test_notes_of_a_case_one_is_not_on_are_refused(world: World) -> None:
    replies = await world.chat("alex").say("/notes K-2")
    assert "not allowed" in texts(replies) or "No case K-2 among yours" in texts(replies)


async def test_cases_lists_the_caseload(world: World) -> None:
    replies = await world.chat("cora").say("/cases")
    assert "K-1" in texts(replies)
    assert "K-2" in texts(replies)
    replies = await world.chat("alex").say("/cases")
    assert "K-1" in texts(replies)
    assert "K-2" not in texts(replies)


async def test_language_switch(world: World) -> None:
    alex = world.chat("alex")
    assert "français" in texts(await alex.say("/lang fr"))
    replies = await alex.say("/crisis")
    assert "Que se passe-t-il, Alex" in texts(replies)
    assert alex.buttons()[0] == "Contacts d'urgence"


async def test_telegram_refuses_notes_by_default(world: World) -> None:
    tg = Chat(world.service, world.clock, "user-alex", channel="telegram", encrypted=False)
    # bind the same person on telegram
    invite = await world.relais.create_invite(role="mentor", name="Tina", team="Team A")
    tina = Chat(world.service, world.clock, "tg-tina", channel="telegram", encrypted=False)
    await tina.say(f"/start {invite.code}")
    replies = await tina.say("/note K-1 something sensitive")
    assert "not end-to-end encrypted" in texts(replies)
    assert tg.user_id == "user-alex"


async def test_unencrypted_matrix_room_is_refused(world: World) -> None:
    chat = Chat(world.service, world.clock, "@x:hs", channel="matrix", encrypted=False)
    replies = await chat.say("/sos")
    assert "encrypted" in texts(replies)


async def test_same_event_is_handled_once(world: World) -> None:
    from datetime import UTC, datetime

    from bot.messages import Incoming

    incoming = Incoming(
        channel="console",
        chat_id="chat-user-alex",
        user_id="user-alex",
        event_id="dup-1",
        received_at=datetime.now(UTC),
        text="/help",
    )
    assert await world.service.handle(incoming)
    assert await world.service.handle(incoming) == []


async def test_an_unreadable_conversation_is_dropped_not_a_lock_out(world: World) -> None:
    from sqlalchemy import update

    from storage.models import DialogSessionRow

    alex = world.chat("alex")
    await alex.say("/crisis")
    async with world.relais.db.transaction(world.clock.now()) as tx:
        await tx.conn.execute(update(DialogSessionRow).values(state_enc=b"v1garbage"))
    replies = await alex.say("/sos")
    assert "112" in texts(replies)
    replies = await alex.say("/crisis")
    assert "What is happening, Alex?" in texts(replies)


async def test_a_replayed_update_handled_before_a_restart_is_never_left_unanswered(
    world: World,
) -> None:
    """The channel replays what a killed Relais received but had not answered. An update
    whose turn had begun is not done twice: /sos is shown again (it changes nothing);
    anything else gets a notice and the conversation's current question."""
    from dataclasses import replace

    from bot.messages import Incoming

    alex = world.chat("alex")
    sos = Incoming(
        channel=alex.channel,
        chat_id=f"chat-{alex.user_id}",
        user_id=alex.user_id,
        event_id="replay-sos",
        received_at=world.clock.now(),
        text="/sos",
    )
    assert "112" in texts(await world.service.handle(sos))
    assert await world.service.handle(sos) == []  # a plain duplicate: silence, as before
    assert "112" in texts(await world.service.handle(replace(sos, replayed=True)))

    replies = await alex.say("/crisis")
    assert "What is happening, Alex?" in texts(replies)
    answer = replace(sos, event_id="replay-answer", text="2")
    first = await world.service.handle(answer)
    again = await world.service.handle(replace(answer, replayed=True))
    assert texts(again).startswith("Relais restarted while answering your last message")
    assert again[-1] == first[-1]  # the current question, as it was asked

    await alex.say("/cancel")
    idle = replace(sos, event_id="replay-idle", text="hello")
    await world.service.handle(idle)
    notice = texts(await world.service.handle(replace(idle, replayed=True)))
    assert "Send something new if you need more. /sos shows emergency contacts." in notice
