"""A question answered by typing its number (Matrix, the console: no inline buttons) is
answered once, as on Telegram, where the pressed question's keyboard is taken off: a number
typed later picks nothing from it (a stray "1" must not log a note twice, close a case or
cancel a check-in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Relais
from bot.clock import FakeClock
from tests.chat.conftest import CONTENT, World, build_world, make_config, texts


@pytest.fixture
async def world(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[World]:
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        yield await build_world(relais, config, clock, CONTENT)


async def test_a_typed_number_answers_a_question_once(world: World) -> None:
    cora = world.chat("cora")  # the console: numbers are typed
    await cora.say("/note")
    assert cora.buttons() == ["K-1", "K-2"]
    assert "Type the note for case K-2" in texts(await cora.say("2"))
    await cora.say("Missed the appointment")
    tags = cora.buttons()
    assert "concern" in tags
    logged = await cora.say(str(tags.index("concern") + 1))
    assert "Note logged on case K-2" in texts(logged)
    assert not cora.buttons()
    again = await cora.say("1")  # a stray number: nothing is picked, nothing logged again
    assert "did not understand" in texts(again), texts(again)
    actor = await world.relais.identify("console", "user-cora")
    assert len(await world.relais.list_notes(actor, "K-2")) == 1
    assert "Type the note for case K-1" not in texts(await cora.say("1"))
