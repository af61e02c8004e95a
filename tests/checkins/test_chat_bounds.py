"""`/checkin` and the check-in buttons from chat, as a clumsy user or a curious colleague would
use them: numbers too large, the documented minimum, names and codes that do or do not exist.
The chat layer, the use cases and SQLite are real; the clock moves on each read as a real one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.service import ChatService
from bot.checkins.service import CheckinService
from bot.checkins.tokens import checkin_token
from bot.clock import FakeClock
from tests.chat.conftest import CONTENT, World, build_world, chat_content, make_config, texts

__all__ = ["chat_content"]  # the fixture, used here


class TickingClock(FakeClock):
    """Like the system clock, time passes between two reads (a millisecond here)."""

    def now(self):  # type: ignore[no-untyped-def]
        return self.advance(timedelta(milliseconds=1))


@pytest.fixture
async def world(sqlite_url: str, tmp_path: Path, chat_content: Path) -> AsyncIterator[World]:
    clock = TickingClock()
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        world = await build_world(relais, config, clock, chat_content)
        checkins = CheckinService(relais, config, clock, on_work=lambda: None)
        service = ChatService(
            relais,
            DialogRegistry.from_content(chat_content),
            Catalog.load(CONTENT),
            clock,
            config,
            checkins=checkins,
        )
        world.service = service
        for chat in world.chats.values():
            chat.service = service
        yield world


async def test_one_minute_the_documented_minimum_is_accepted(world: World) -> None:
    replies = await world.chat("alex").say("/checkin K-1 in 1m")
    assert "Check-in scheduled on case K-1" in texts(replies), texts(replies)
    replies = await world.chat("alex").say("/checkin K-1 dans 59s")
    assert "between 1 minute and a year ahead" in texts(replies)


@pytest.mark.parametrize(
    "command",
    [
        "/checkin K-1 in 999999999999d",
        "/checkin K-1 in 99999999999999999999999w",
        "/checkin K-1 in 367d",
        "/checkin K-1 dans 9999999999999h",
    ],
)
async def test_a_huge_delay_gets_the_range_not_an_error(world: World, command: str) -> None:
    replies = await world.chat("alex").say(command)
    assert texts(replies) == (
        "A one-off check-in must be between 1 minute and a year ahead, e.g. in 30m, in 24h "
        "or in 14d."
    )


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("every 99999999999999d 09:00", "“99999999999999d” is not a number of days from 1 to 366"),
        ("monthly 99999999999 10:00", "“99999999999” is not a day of the month"),
        ("every 0d 09:00", "“0d” is not a number of days from 1 to 366"),
        ("monthly 32 10:00", "“32” is not a day of the month"),
        ("weekly XX 09:00", "“XX” is not a day of the week: write MO, TU"),
        ("weekly MO 25:00", "“25:00” is not a time of day"),
        ("weekly MO 9:75", "“9:75” is not a time of day"),
        ("weekly MO noon", "“noon” is not a time of day"),
        ("fortnightly MO 09:00", "“fortnightly” is not a kind of check-in"),
        ("in soon", "“soon” is not a delay: write it like 30m, 24h or 14d"),
    ],
)
async def test_the_word_to_blame_is_named_then_the_usage(
    world: World, command: str, said: str
) -> None:
    """A /checkin that cannot be read says which word is wrong and what it should look like,
    then how the whole command is written; nothing is scheduled."""
    cora = world.chat("cora")
    before = texts(await cora.say("/checkins"))
    replies = await cora.say(f"/checkin K-1 {command}")
    first, usage = texts(replies).split("\n")
    assert first.startswith(said), first
    assert usage.startswith("Usage: /checkin CASE"), usage
    assert texts(await cora.say("/checkins")) == before
    assert "K-1" in texts(await cora.say("/checkin K-1 weekly MO 09:00"))  # the check itself
    assert texts(await cora.say("/checkins")) != before


async def test_the_word_to_blame_in_french(world: World) -> None:
    cora = world.chat("cora")
    await cora.say("/lang fr")
    said = texts(await cora.say("/checkin K-1 hebdo XX 9h"))
    assert said.startswith("« XX » n'est pas un jour de la semaine : écrivez LU, MA"), said
    said = texts(await cora.say("/checkin K-1 hebdo LU 24h30"))
    assert said.startswith("« 24h30 » n'est pas une heure"), said
    assert "Usage : /checkin DOSSIER" in said
    said = texts(await cora.say("/checkin K-1 hebdo lundi 9h"))
    assert said.startswith("Point de suivi programmé sur le dossier K-1"), said


async def test_french_range_message(world: World) -> None:
    alex = world.chat("alex")
    await alex.say("/lang fr")
    replies = await alex.say("/checkin K-1 dans 99999999999999d")
    assert "entre 1 minute et un an" in texts(replies)


@pytest.mark.parametrize("who", ["cora", "alex"])
async def test_a_real_colleague_and_a_made_up_name_answer_alike(world: World, who: str) -> None:
    chat = world.chat(who)
    for rule in ("weekly MO 09:00", "in 2h"):
        real = texts(await chat.say(f"/checkin K-1 {rule} Pia"))  # a colleague, not on K-1
        made_up = texts(await chat.say(f"/checkin K-1 {rule} Nobody Atall"))
        assert real == made_up, (real, made_up)
        assert "Pia" not in real
        if who == "cora":  # the owner may set it: the name is what is refused
            assert real.startswith("The person reminded (or escalated to) must be on the case")


async def test_a_case_that_is_not_yours_answers_like_one_that_does_not_exist(
    world: World,
) -> None:
    alex = world.chat("alex")  # K-2 exists in Alex's team; Alex is not on it
    for command in ("/checkin {} in 2h", "/notes {}", "/note {} some text"):
        exists = texts(await alex.say(command.format("K-2")))
        missing = texts(await alex.say(command.format("K-9")))
        assert exists == missing.replace("K-9", "K-2"), (exists, missing)
        await alex.say("/cancel")


async def test_a_schedule_button_of_another_team_never_names_its_case(
    world: World,
) -> None:
    cora = world.chat("cora")
    replies = await cora.say("/checkin K-1 weekly MO 09:00 Alex")
    pause = replies[0].buttons[0].token
    await world.relais.ensure_team("Team B")
    invite = await world.relais.create_invite(role="coordinator", name="Bea", team="Team B")
    bea = world.chat("bea")
    await bea.say(f"/start {invite.code}")
    theirs = texts(await bea.press(pause))
    nothing = texts(await bea.press(checkin_token("0" * 32, "sp")))
    assert "K-1" not in theirs
    assert theirs == nothing.replace("0" * 32, pause.split(".")[1])
    # and within the team, a mentor who is not on the case learns no more
    sam = texts(await world.chat("sam").press(pause))
    assert "K-1" not in sam
