"""Dialog sessions survive restarts, expire, and updates are processed once."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Relais
from bot.clock import FakeClock
from tests.stored import stored_session


async def test_session_round_trip_and_expiry(relais: Relais, clock: FakeClock) -> None:
    state = {"format_version": 1, "dialog": "crisis", "vars": {"x": "é"}}
    assert await stored_session(relais, "telegram", "1") is None
    await relais.save_session(
        "telegram", "1", state, practitioner_id=None, dialog_id="crisis", dialog_version=2
    )
    loaded = await stored_session(relais, "telegram", "1")
    assert loaded is not None
    assert loaded.state == state
    assert (loaded.dialog_id, loaded.dialog_version) == ("crisis", 2)
    async with relais.db.transaction(clock.now()) as tx:  # what publishing counts
        assert await tx.sessions.count_on_version(dialog_id="crisis", version=2, now=tx.now) == 1
    await relais.save_session("telegram", "1", {"format_version": 1, "step": 2})
    again = await stored_session(relais, "telegram", "1")
    assert again is not None
    assert again.id == loaded.id
    assert again.state == {"format_version": 1, "step": 2}
    clock.advance(relais.config.sessions.expiry + timedelta(seconds=1))
    assert await stored_session(relais, "telegram", "1") is None
    await relais.save_session("matrix", "!room", state)
    assert await relais.end_session("matrix", "!room") is True
    assert await relais.end_session("matrix", "!room") is False


async def test_session_survives_reopen(relais: Relais, clock: FakeClock) -> None:
    await relais.save_session("telegram", "9", {"k": "v"})
    await relais.close()
    reopened = await Relais.open(relais.config, clock)
    try:
        loaded = await stored_session(reopened, "telegram", "9")
        assert loaded is not None
        assert loaded.state == {"k": "v"}
    finally:
        await reopened.close()


async def test_first_time_dedupes(relais: Relais, clock: FakeClock) -> None:
    assert await relais.first_time("telegram", "update-1") is True
    assert await relais.first_time("telegram", "update-1") is False
    assert await relais.first_time("matrix", "update-1") is True
    clock.advance(timedelta(days=3))
    await relais.expire_sessions()
    assert await relais.first_time("telegram", "update-1") is True


async def test_save_with_the_loaded_id_updates_that_session(relais: Relais) -> None:
    await relais.save_session("telegram", "5", {"step": 1})
    loaded = await stored_session(relais, "telegram", "5")
    assert loaded is not None
    await relais.save_session("telegram", "5", {"step": 2}, session_id=loaded.id)
    again = await stored_session(relais, "telegram", "5")
    assert again is not None
    assert (again.id, again.state) == (loaded.id, {"step": 2})


async def test_save_with_a_vanished_id_stores_a_new_session(relais: Relais) -> None:
    """The session read at the start of a turn expired (housekeeping) before the save, or the
    id belongs to another chat: the state is not lost, it is stored afresh."""
    await relais.save_session("telegram", "6", {"step": 1})
    other = await stored_session(relais, "telegram", "6")
    assert other is not None
    await relais.end_session("telegram", "6")
    await relais.save_session("telegram", "6", {"step": 3}, session_id=other.id)
    fresh = await stored_session(relais, "telegram", "6")
    assert fresh is not None
    assert fresh.id != other.id
    assert fresh.state == {"step": 3}
    # an id of another chat never overwrites that chat
    await relais.save_session("telegram", "7", {"step": 9}, session_id=fresh.id)
    kept = await stored_session(relais, "telegram", "6")
    seventh = await stored_session(relais, "telegram", "7")
    assert kept is not None
    assert seventh is not None
    assert kept.state == {"step": 3}
    assert seventh.state == {"step": 9}
    assert seventh.id != fresh.id


async def test_begin_turn_reads_the_sender_and_this_chats_conversation(
    relais: Relais, clock: FakeClock
) -> None:
    """One query at the start of every message: the enrolled sender and the conversation of
    the chat the message came from, not of another chat of the same person."""
    invite = await relais.create_invite(role="mentor", name="Mona")
    await relais.redeem_invite("matrix", "@mona:example.org", invite.code)
    await relais.save_session("matrix", "!room-a", {"room": "a"})
    await relais.save_session("matrix", "!room-b", {"room": "b"})

    start = await relais.begin_turn("matrix", "@mona:example.org", "!room-b", "$e1")
    assert start.first_time
    assert start.actor is not None
    assert start.actor.name == "Mona"
    assert start.session is not None
    assert start.session.state == {"room": "b"}

    fresh = await relais.begin_turn("matrix", "@mona:example.org", "!room-c", "$e2")
    assert fresh.actor is not None
    assert fresh.session is None

    again = await relais.begin_turn("matrix", "@mona:example.org", "!room-b", "$e1")
    assert not again.first_time  # the same event, redelivered

    stranger = await relais.begin_turn("matrix", "@eve:example.org", "!room-b", "$e3")
    assert stranger.actor is None
    assert stranger.session is None  # an unknown sender never sees a conversation

    clock.advance(relais.config.sessions.expiry + timedelta(seconds=1))
    expired = await relais.begin_turn("matrix", "@mona:example.org", "!room-a", "$e4")
    assert expired.session is None
    assert await stored_session(relais, "matrix", "!room-a") is None  # and removed
