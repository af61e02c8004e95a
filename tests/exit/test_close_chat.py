"""`/close` through the chat layer on the console (real database, the check-in service): the
question's buttons are numbered and a typed number presses one; without the check-in service
the bot says it cannot close rather than closing half."""

from __future__ import annotations

from bot.chat.service import ChatService
from bot.checkins.service import CheckinService
from tests.chat.conftest import Chat, World


async def test_close_with_a_typed_number_on_the_console(world: World) -> None:
    checkins = CheckinService(world.relais, world.config, world.clock)
    service = ChatService(
        world.relais,
        world.service.dialogs,
        world.service.catalog,
        world.clock,
        world.config,
        checkins=checkins,
    )
    cora = Chat(service, world.clock, "user-cora")  # coordinator, owner of K-1
    asked = await cora.say("/close K-1")
    assert asked[0].text.startswith("Close case K-1?")
    assert cora.buttons() == ["Close, with the follow-up", "Close, no follow-up", "Keep it open"]
    kept = await cora.say("3")
    assert kept[0].text == "Case K-1 stays open."
    await cora.say("/close K-1")
    closed = await cora.say("1")
    assert closed[0].text.startswith("Case K-1 is closed; 1 check-in(s) still to come ended.")
    assert "Post-exit follow-up, 12 months" in closed[0].text
    actor = await world.relais.identify("console", "user-cora")
    assert actor is not None
    upcoming = await checkins.list_checkins(actor)
    # K-1's follow-up only (its monthly review ended); K-2, open, keeps its review
    assert sorted(u.case_code for u in upcoming) == ["K-1"] * 4 + ["K-2"]
    alex = Chat(service, world.clock, "user-alex")  # a mentor on K-1
    assert (await alex.say("/close K-1"))[0].text == (
        "You are not allowed to do that on this case."
    )


async def test_close_without_the_check_in_service_closes_nothing(world: World) -> None:
    cora = world.chat("cora")
    await cora.say("/close K-2")
    refused = await cora.press("Close, no follow-up")
    assert "check-in" in refused[0].text.lower()
    actor = await world.relais.identify("console", "user-cora")
    assert actor is not None
    cases = {c.code: c.status for c in await world.relais.list_cases(actor)}
    assert cases["K-2"] == "open"
