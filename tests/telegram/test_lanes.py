"""Per-chat lanes on their own: order, pacing, one flood notice, a bounded backlog, drain."""

from __future__ import annotations

import asyncio
import time

from bot.channels.telegram_lanes import ChatLanes


async def test_a_full_backlog_drops_with_one_notice_and_drain_finishes_the_rest() -> None:
    handled: list[tuple[str, int]] = []
    floods: list[str] = []

    async def process(key: str, item: int) -> None:
        handled.append((key, item))

    async def on_flood(key: str) -> None:
        floods.append(key)

    lanes: ChatLanes[int] = ChatLanes(process, rate=0.5, burst=2, max_backlog=5, on_flood=on_flood)
    accepted = [lanes.submit("7", i) for i in range(30)]
    assert accepted == [True] * 5 + [False] * 25
    assert lanes.dropped == 25
    await asyncio.sleep(0)  # let the lane start: two tokens, then a 2 s wait
    abandoned = await lanes.drain(timeout=5)
    assert abandoned == 0
    assert handled == [("7", i) for i in range(5)]
    assert floods == ["7"]


async def test_a_paced_lane_does_not_hold_up_another() -> None:
    done: dict[str, float] = {}
    all_done = asyncio.Event()
    started = time.monotonic()

    async def process(key: str, item: int) -> None:
        done[f"{key}:{item}"] = time.monotonic() - started
        if len(done) == 6:
            all_done.set()

    lanes: ChatLanes[int] = ChatLanes(process, rate=20.0, burst=1, max_backlog=50)
    for i in range(5):
        lanes.submit("busy", i)
    lanes.submit("calm", 0)
    await asyncio.wait_for(all_done.wait(), timeout=5)
    assert done["calm:0"] < 0.05
    assert done["busy:4"] >= 0.19  # 4 waits of 1/20 s
    assert await lanes.drain(timeout=1) == 0


async def test_a_failing_item_does_not_stop_its_lane() -> None:
    handled: list[int] = []

    async def process(key: str, item: int) -> None:
        if item == 1:
            raise ValueError("boom")
        handled.append(item)

    lanes: ChatLanes[int] = ChatLanes(process, rate=100.0, burst=10, max_backlog=10)
    for i in range(3):
        lanes.submit("k", i)
    assert await lanes.drain(timeout=1) == 0
    assert handled == [0, 2]
