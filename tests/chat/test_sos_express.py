"""/sos while the chat's previous message is still being handled (its lock held): answered at
once with the contacts for the conversation's case, reading only; the conversation is intact."""

from __future__ import annotations

import asyncio

from bot.messages import SOS_BUTTON
from tests.chat.conftest import World, texts


async def _busy(world: World, name: str) -> asyncio.Lock:
    """Take the chat's lock as a slow turn in progress would."""
    lock = world.service._locks.setdefault(("console", f"chat-user-{name}"), asyncio.Lock())
    await lock.acquire()
    return lock


async def test_sos_is_answered_while_the_chat_is_busy(world: World) -> None:
    alex = world.chat("alex")
    prompt = texts(await alex.say("/crisis K-1"))
    lock = await _busy(world, "alex")
    try:
        replies = await asyncio.wait_for(alex.say("/sos"), timeout=10)
        body = texts(replies)
        assert "EMERGENCY CONTACTS" in body
        assert "112" in body
        assert "Dr Martin" in body
        assert "still being handled" in body
        replies = await asyncio.wait_for(alex.send(button=SOS_BUTTON), timeout=10)
        assert "112" in texts(replies)
        assert "still being handled" in texts(replies)
    finally:
        lock.release()
    # nothing of the conversation changed: the ordinary /sos shows the question again
    replies = await alex.say("/sos")
    assert "112" in texts(replies)
    assert "still being handled" not in texts(replies)
    assert prompt.splitlines()[0] in texts(replies)


async def test_a_stranger_gets_no_contacts_even_ahead_of_the_queue(world: World) -> None:
    stranger = world.chat("nobody")
    lock = await _busy(world, "nobody")
    try:
        replies = await asyncio.wait_for(stranger.say("/sos"), timeout=10)
    finally:
        lock.release()
    assert "invitation code" in texts(replies)
    assert "112" not in texts(replies)
