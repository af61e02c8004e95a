"""Dialog sessions survive restarts, expire, and updates are processed once."""

from __future__ import annotations

from datetime import timedelta

from bot.app import Relais
from bot.clock import FakeClock


async def test_session_round_trip_and_expiry(relais: Relais, clock: FakeClock) -> None:
    state = {"format_version": 1, "dialog": "crisis", "vars": {"x": "é"}}
    assert await relais.load_session("telegram", "1") is None
    await relais.save_session(
        "telegram", "1", state, practitioner_id=None, dialog_id="crisis", dialog_version=2
    )
    loaded = await relais.load_session("telegram", "1")
    assert loaded is not None
    assert loaded.state == state
    assert (loaded.dialog_id, loaded.dialog_version) == ("crisis", 2)
    assert await relais.sessions_on_version("crisis", 2) == 1
    await relais.save_session("telegram", "1", {"format_version": 1, "step": 2})
    again = await relais.load_session("telegram", "1")
    assert again is not None
    assert again.id == loaded.id
    assert again.state == {"format_version": 1, "step": 2}
    clock.advance(relais.config.sessions.expiry + timedelta(seconds=1))
    assert await relais.load_session("telegram", "1") is None
    await relais.save_session("matrix", "!room", state)
    assert await relais.end_session("matrix", "!room") is True
    assert await relais.end_session("matrix", "!room") is False


async def test_session_survives_reopen(relais: Relais, clock: FakeClock) -> None:
    await relais.save_session("telegram", "9", {"k": "v"})
    await relais.close()
    reopened = await Relais.open(relais.config, clock)
    try:
        loaded = await reopened.load_session("telegram", "9")
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
