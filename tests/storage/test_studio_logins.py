"""Relais Studio logins on both databases (`tx.studio` through the use cases): a link is used
once, before it expires, by the practitioner it was made for; a session ends when idle, at
logout, or when its practitioner is revoked; only digests of the tokens are stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import Relais
from bot.clock import FakeClock
from bot.errors import NotAllowed
from bot.studio.usecases import LoginRefused
from storage.models import StudioLinkRow, StudioSessionRow
from tests.storage.helpers import enrol

IDLE = timedelta(minutes=30)


async def test_a_link_opens_one_session(relais: Relais, clock: FakeClock) -> None:
    pia = await enrol(relais, "Pia", "psychologist")
    token = await relais.studio_link(pia, timedelta(minutes=5))
    login = await relais.studio_login(token)
    assert login.practitioner_id == pia.practitioner_id
    with pytest.raises(LoginRefused) as refused:
        await relais.studio_login(token)
    assert refused.value.reason == "used"
    visitor = await relais.studio_visitor(login.session_token, IDLE)
    assert visitor is not None
    assert visitor.practitioner_id == pia.practitioner_id
    async with relais.db.connect() as conn:
        stored = [
            *(await conn.execute(select(StudioLinkRow.token_hash))).scalars(),
            *(await conn.execute(select(StudioSessionRow.token_hash))).scalars(),
        ]
        await conn.rollback()
    assert len(stored) == 2
    assert token not in stored
    assert login.session_token not in stored

    clock.advance(IDLE + timedelta(seconds=1))
    assert await relais.studio_visitor(login.session_token, IDLE) is None


async def test_expired_unknown_and_revoked(relais: Relais, clock: FakeClock) -> None:
    cora = await enrol(relais, "Cora", "coordinator")
    token = await relais.studio_link(cora, timedelta(minutes=5))
    clock.advance(timedelta(minutes=5))
    with pytest.raises(LoginRefused) as refused:
        await relais.studio_login(token)
    assert refused.value.reason == "expired"
    with pytest.raises(LoginRefused) as refused:
        await relais.studio_login("not-a-link-at-all-not-a-link")
    assert refused.value.reason == "unknown"

    login = await relais.studio_login(await relais.studio_link(cora, timedelta(minutes=5)))
    await relais.studio_logout(login.session_token)
    assert await relais.studio_visitor(login.session_token, IDLE) is None

    pending = await relais.studio_link(cora, timedelta(minutes=5))
    login = await relais.studio_login(await relais.studio_link(cora, timedelta(minutes=5)))
    await relais.revoke("Cora")
    assert await relais.studio_visitor(login.session_token, IDLE) is None
    with pytest.raises(LoginRefused) as refused:
        await relais.studio_login(pending)
    assert refused.value.reason == "not_allowed"


async def test_mentors_get_no_link(relais: Relais) -> None:
    alex = await enrol(relais, "Alex", "mentor")
    with pytest.raises(NotAllowed):
        await relais.studio_link(alex, timedelta(minutes=5))
