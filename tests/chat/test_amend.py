"""`/amend CASE text`: a practitioner corrects their latest note on a case; the note is kept
and the correction is an amendment of it (only its author may; never on Telegram without
`allow_case_notes`)."""

from __future__ import annotations

from datetime import timedelta

from tests.chat.conftest import Chat, World, texts


async def test_the_author_amends_their_latest_note(world: World) -> None:
    alex = world.chat("alex")  # a mentor on K-1
    assert "Note logged on case K-1" in texts(await alex.say("/note K-1 Met him at 10"))
    assert "Usage: /amend CASE text" in texts(await alex.say("/amend K-1"))
    world.clock.advance(timedelta(minutes=5))
    replies = await alex.say("/amend k-1 Met him at 11, not 10")
    assert "Amendment added to your note of" in texts(replies)
    actor = await world.relais.identify("console", alex.user_id)
    assert actor is not None
    notes = await world.relais.list_notes(actor, "K-1")
    assert [(n.body, n.origin) for n in notes] == [
        ("Met him at 11, not 10", "amendment"),
        ("Met him at 10", "chat"),
    ]
    assert notes[0].amends_id == notes[1].id

    cora = world.chat("cora")  # the case owner: not the note's author
    assert "You have no recent note on case K-1" in texts(await cora.say("/amend K-1 edit"))
    assert len(await world.relais.list_notes(actor, "K-1")) == 2


async def test_amend_is_refused_where_notes_may_not_travel(world: World) -> None:
    invite = await world.relais.create_invite(role="mentor", name="Tina", team="Team A")
    tina = Chat(world.service, world.clock, "tg-tina", channel="telegram", encrypted=False)
    await tina.say(f"/start {invite.code}")
    replies = await tina.say("/amend K-1 something sensitive")
    assert "not end-to-end encrypted" in texts(replies)
