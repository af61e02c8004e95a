"""!sos in a Matrix room whose previous message is still being handled is handed to the chat
layer at once (beside the room's worker), against a real Synapse."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from bot.messages import Incoming, Reply
from tests.matrix.conftest import BotFactory, PractitionerFactory, RecordingHandler

pytestmark = pytest.mark.synapse


@dataclass
class SlowHandler(RecordingHandler):
    """ "slow" takes a minute (a turn stuck on something slow); everything else answers."""

    async def __call__(self, incoming: Incoming) -> list[Reply]:
        if incoming.text == "slow":
            self.seen.append(incoming)
            await asyncio.sleep(60)
            return [Reply("slow done")]
        return await super().__call__(incoming)


async def test_sos_is_handled_beside_a_stuck_turn_of_the_same_room(
    bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    handler = SlowHandler()
    bot = await bots.start(handler)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id, wait_join=True)

    await mentor.say(room, "slow")
    await mentor.wait_for(lambda: len(handler.seen) == 1, what="the bot to start handling")
    await mentor.say(room, "!sos")
    assert (await mentor.next_message(room, timeout=15)).body == "echo: /sos"
    # an ordinary message still waits its turn behind the stuck one
    await mentor.say(room, "after")
    await mentor.no_message(room, wait=1.5)
    assert [i.text for i in handler.seen] == ["slow", "/sos"]
    await bot.stop(drain_timeout=0.2)
