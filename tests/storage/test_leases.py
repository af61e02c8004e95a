"""Leases (storage/leases.py through the use cases): one holder at a time, renewed, free once
its holder stopped renewing it (killed), the second taker told who holds it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import Relais
from bot.clock import FakeClock
from bot.operations.lease import LeaseHeld, hold_lease

TTL = timedelta(seconds=30)


async def test_one_holder_then_expiry_then_takeover(relais: Relais, clock: FakeClock) -> None:
    first = await relais.take_lease("matrix:@bot:x", holder="a" * 32, host="h1", pid=11, ttl=TTL)
    assert (first.holder, first.host, first.pid) == ("a" * 32, "h1", 11)
    second = await relais.take_lease("matrix:@bot:x", holder="b" * 32, host="h2", pid=22, ttl=TTL)
    assert (second.holder, second.host, second.pid) == ("a" * 32, "h1", 11)  # refused
    other = await relais.take_lease("matrix:@other:x", holder="b" * 32, host="h2", pid=22, ttl=TTL)
    assert other.holder == "b" * 32  # another account is another lease
    clock.advance(timedelta(seconds=20))
    assert await relais.renew_lease("matrix:@bot:x", holder="a" * 32, ttl=TTL)
    clock.advance(timedelta(seconds=20))  # renewed 20 s ago: still held
    again = await relais.take_lease("matrix:@bot:x", holder="b" * 32, host="h2", pid=22, ttl=TTL)
    assert again.holder == "a" * 32
    clock.advance(timedelta(seconds=31))  # the holder died: no renewal for longer than the ttl
    taken = await relais.take_lease("matrix:@bot:x", holder="b" * 32, host="h2", pid=22, ttl=TTL)
    assert (taken.holder, taken.pid, taken.since) == ("b" * 32, 22, clock.now())
    assert not await relais.renew_lease("matrix:@bot:x", holder="a" * 32, ttl=TTL)
    await relais.release_lease("matrix:@bot:x", holder="a" * 32)  # not theirs: nothing
    held = await relais.take_lease("matrix:@bot:x", holder="c" * 32, host="h3", pid=33, ttl=TTL)
    assert held.holder == "b" * 32
    await relais.release_lease("matrix:@bot:x", holder="b" * 32)
    free = await relais.take_lease("matrix:@bot:x", holder="c" * 32, host="h3", pid=33, ttl=TTL)
    assert free.holder == "c" * 32


async def test_the_second_process_is_told_who_holds_it(relais: Relais) -> None:
    lost: list[bool] = []
    held = await hold_lease(relais, "matrix:@bot:x", "the Matrix account @bot:x", on_lost=list)
    try:
        with pytest.raises(LeaseHeld) as refused:
            await hold_lease(
                relais, "matrix:@bot:x", "the Matrix account @bot:x", on_lost=lambda: None
            )
        message = str(refused.value)
        assert "the Matrix account @bot:x is already served by another relais process" in message
        assert f"pid {refused.value.lease.pid}" in message
        assert "since " in message
    finally:
        await held.release()
    again = await hold_lease(relais, "matrix:@bot:x", "x", on_lost=lambda: lost.append(True))
    await again.release()
    assert not lost


async def test_webhook_claims_are_forgotten_with_old_updates(
    relais: Relais, clock: FakeClock
) -> None:
    stale = timedelta(seconds=60)
    assert await relais.claim_update("telegram", 1, chat_key="42", holder="a", stale=stale)
    assert not await relais.claim_update("telegram", 1, chat_key="42", holder="b", stale=stale)
    assert await relais.earlier_updates_pending("telegram", 2, chat_key="42", stale=stale) == 1
    assert await relais.earlier_updates_pending("telegram", 2, chat_key="43", stale=stale) == 0
    clock.advance(timedelta(seconds=61))  # its process died: not waited for, taken over
    assert await relais.earlier_updates_pending("telegram", 2, chat_key="42", stale=stale) == 0
    assert await relais.claim_update("telegram", 1, chat_key="42", holder="b", stale=stale)
    await relais.update_handled("telegram", 1)
    clock.advance(timedelta(seconds=61))
    assert not await relais.claim_update("telegram", 1, chat_key="42", holder="c", stale=stale)
    clock.advance(timedelta(days=3))
    await relais.expire_sessions()
    assert await relais.claim_update("telegram", 1, chat_key="42", holder="c", stale=stale)


async def test_a_dead_webhook_processs_claims_are_taken_over_when_its_lease_expires(
    relais: Relais, clock: FakeClock
) -> None:
    """Two webhook processes (bot.runtime's binding, as `relais run` has it): a killed one
    stops renewing its lease, and `LEASE` later (not `STALE`) the chat's next update no longer
    waits for its claim and a resend takes it over; one stopped cleanly lets go at once."""
    from bot.channels.telegram_cluster import LEASE, STALE
    from bot.runtime import webhook_cluster_of

    a, b, c = (webhook_cluster_of(relais) for _ in range(3))
    if a is None or b is None or c is None:
        pytest.skip("several webhook processes share PostgreSQL only")
    for cluster in (a, b, c):
        await cluster.start()
    try:
        assert await a.claim(1, "42")
        assert not await b.claim(1, "42")  # a lives: a resend is only acknowledged
        assert await a.claim(1, "42")  # its own claim again (a statement run again)
        pending = relais.earlier_updates_pending
        assert await pending("telegram", 2, chat_key="42", stale=STALE) == 1
        assert a._beating is not None
        a._beating.cancel()  # killed: no more renewals, no letting go
        clock.advance(LEASE - timedelta(seconds=1))
        await b.start()  # b and c renew (their background beat is real time)
        await c.start()
        assert await pending("telegram", 2, chat_key="42", stale=STALE) == 1  # not yet
        assert not await b.claim(1, "42")
        clock.advance(timedelta(seconds=2))  # a's lease expired, long before STALE
        assert await pending("telegram", 2, chat_key="42", stale=STALE) == 0
        await b.wait_turn(2, "42")  # returns at once
        assert await b.claim(1, "42")  # the resend is handled by b
        assert not await c.claim(1, "42")
        await b.stop()  # a clean stop: its claim not handled is free at once
        assert await c.claim(1, "42")
        await c.handled(1)
        assert await pending("telegram", 2, chat_key="42", stale=STALE) == 0
    finally:
        for cluster in (a, b, c):
            await cluster.stop()
