"""Enrolment: one-time invite codes, rate limit per chat identity, revocation."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest

from bot.app import Relais
from bot.clock import FakeClock
from bot.errors import InvalidInput, NotAllowed
from bot.usecases.identity import INVITE_ATTEMPTS


async def test_invite_redeem_identify(relais: Relais) -> None:
    invite = await relais.create_invite(role="mentor", name="Nina Mentor", team="North")
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", invite.code)
    assert invite.deep_link is None
    assert await relais.identify("telegram", "42") is None
    actor = await relais.redeem_invite("telegram", "42", invite.code)
    assert actor.name == "Nina Mentor"
    assert actor.roles == frozenset({"mentor"})
    assert await relais.identify("telegram", "42") == actor
    with pytest.raises(InvalidInput, match="not valid"):
        await relais.redeem_invite("matrix", "@nina:example.org", invite.code)  # single use


async def test_deep_link_when_bot_username_configured(relais: Relais) -> None:
    relais.config = dataclasses.replace(
        relais.config,
        telegram=dataclasses.replace(relais.config.telegram, bot_username="@relais_bot"),
    )
    invite = await relais.create_invite(role="mentor", name="Lia")
    assert invite.deep_link == f"https://t.me/relais_bot?start={invite.code}"


async def test_expired_code_refused(relais: Relais, clock: FakeClock) -> None:
    invite = await relais.create_invite(role="mentor", name="Tom", expires=timedelta(hours=1))
    clock.advance(timedelta(hours=1, seconds=1))
    with pytest.raises(InvalidInput):
        await relais.redeem_invite("telegram", "7", invite.code)


async def test_attempts_rate_limited_per_identity(relais: Relais, clock: FakeClock) -> None:
    invite = await relais.create_invite(role="mentor", name="Ana")
    for i in range(INVITE_ATTEMPTS):
        with pytest.raises(InvalidInput, match="not valid"):
            await relais.redeem_invite("telegram", "666", f"wrong-code-{i:04d}")
    with pytest.raises(InvalidInput, match="too many"):
        await relais.redeem_invite("telegram", "666", invite.code)  # even the right code
    actor = await relais.redeem_invite("telegram", "667", invite.code)  # other identity: fine
    assert actor.name == "Ana"
    clock.advance(timedelta(hours=2))
    second = await relais.create_invite(role="mentor", name="Ana")
    assert (await relais.redeem_invite("telegram", "666", second.code)).name == "Ana"


async def test_revoke_removes_every_binding(relais: Relais) -> None:
    first = await relais.create_invite(role="psychologist", name="Paul")
    actor = await relais.redeem_invite("telegram", "1", first.code)
    second = await relais.create_invite(role="psychologist", name="Paul")
    await relais.redeem_invite("matrix", "@paul:example.org", second.code)
    await relais.create_invite(role="psychologist", name="Paul")  # pending, dropped too
    result = await relais.revoke("paul")
    assert result.bindings_removed == 2
    assert result.invites_dropped == 1
    assert await relais.identify("telegram", "1") is None
    assert await relais.identify("matrix", "@paul:example.org") is None
    with pytest.raises(NotAllowed):
        await relais.list_cases(actor)  # a stale Actor object is refused too


async def test_profile_fields_allow_listed(relais: Relais) -> None:
    invite = await relais.create_invite(role="mentor", name="Zoe")
    actor = await relais.redeem_invite("telegram", "9", invite.code)
    actor = await relais.set_language(actor, "fr")
    assert (await relais.identify("telegram", "9")) == actor
    with pytest.raises(InvalidInput):
        await relais.set_language(actor, "de")
    with pytest.raises(InvalidInput):
        await relais.set_time_zone(actor, "Mars/Olympus")
    await relais.set_time_zone(actor, "America/Montreal")
    await relais.set_quiet_hours(actor, "22:00", "07:00")
    with pytest.raises(InvalidInput):
        await relais.set_quiet_hours(actor, "25:00", "07:00")
    people = {p.id: p for p, _team in await relais.list_practitioners()}
    me = people[actor.practitioner_id]
    assert (me.language, me.time_zone, me.quiet_start, me.quiet_end) == (
        "fr",
        "America/Montreal",
        "22:00",
        "07:00",
    )


async def test_unreachable_on_every_channel(relais: Relais) -> None:
    invite = await relais.create_invite(role="mentor", name="Uma")
    await relais.redeem_invite("telegram", "5", invite.code)
    await relais.mark_unreachable("telegram", "5")
    people = [p for p, _ in await relais.list_practitioners() if p.name == "Uma"]
    assert people[0].unreachable
    await relais.begin_turn("telegram", "5", "5", "u-1")  # Uma writes again
    people = [p for p, _ in await relais.list_practitioners() if p.name == "Uma"]
    assert not people[0].unreachable
