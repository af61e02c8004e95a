"""/sos beside a busy lane: handled at once, one at a time per chat (a flood of /sos queues)."""

from __future__ import annotations

import asyncio

from bot.channels.telegram_lanes import ChatLanes


async def test_an_express_item_passes_a_stuck_lane_one_at_a_time() -> None:
    release = asyncio.Event()
    handled: list[str] = []

    async def process(key: str, item: str) -> None:
        if item == "stuck":
            await release.wait()
        if item == "sos-slow":
            await asyncio.sleep(0.2)
        handled.append(item)

    lanes: ChatLanes[str] = ChatLanes(process, rate=100.0, burst=10, max_backlog=10)
    assert not lanes.busy("7")
    lanes.submit("7", "stuck")
    await asyncio.sleep(0)
    assert lanes.busy("7")
    assert lanes.express("7", "sos-slow")
    assert not lanes.express("7", "sos-2")  # the chat's previous express item still runs
    lanes.submit("7", "sos-2")  # so it waits in the lane
    await asyncio.sleep(0.3)
    assert handled == ["sos-slow"]
    assert lanes.express("7", "sos-3")  # the first one is done
    await asyncio.sleep(0.05)
    assert handled == ["sos-slow", "sos-3"]
    release.set()
    assert await lanes.drain(timeout=5) == 0
    assert handled == ["sos-slow", "sos-3", "stuck", "sos-2"]
