"""A practitioner whose Telegram was marked unreachable (a send answered 403: they had blocked
the bot) and who writes again is reachable again: reminders go to them, not around them."""

from __future__ import annotations

from tests.e2e.test_telegram_relais import MENTOR, Restart, Stack, _enrolled, stack

__all__ = ["stack"]  # the fixture, shared with test_telegram_relais


async def _reachable(s: Stack) -> tuple[bool, list[str]]:
    async with s.relais.db.transaction(s.clock.now()) as tx:
        [mina] = await tx.people.by_name(name="Mina")
        identities = await tx.checkin_reads.identities(practitioner_id=mina.id)
    return (not mina.unreachable, [i.channel for i in identities])


async def test_writing_again_makes_a_blocked_practitioner_reachable(stack: Restart) -> None:
    s = await _enrolled(stack)
    assert await _reachable(s) == (True, ["telegram"])
    # what the runtime does when Telegram answers 403 to a reminder (bot.runtime)
    await s.relais.mark_unreachable("telegram", str(MENTOR))
    assert await _reachable(s) == (False, [])
    s.fake.unblock(MENTOR)
    reply = await s.say(MENTOR, "/sos")
    assert "112" in reply.text
    assert await _reachable(s) == (True, ["telegram"])
