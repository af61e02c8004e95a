"""Per-chat lanes: each chat's updates are handled in order, at a bounded rate, by its own task.

A flood from one chat (say 100 messages in a second) fills that chat's lane only: the lane
spends a token per update from a token bucket (`burst` at once, then `rate` per second) and
waits when the bucket is empty, while every other chat's lane runs at full speed. Nothing is
dropped below `max_backlog` queued updates per chat; the first time a lane's backlog passes
`burst`, `on_flood(key)` is called once (the adapter sends one "slow down" notice), and not
again until the lane has emptied. A lane's task exits when its queue is empty.

`drain()` (on stop) lifts the pacing and waits for every queued update to be handled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["ChatLanes"]

_log = logging.getLogger(__name__)

T = TypeVar("T")


class _Lane(Generic[T]):
    __slots__ = ("dropped", "noticed", "pending", "stamp", "task", "tokens")

    def __init__(self, burst: int, now: float) -> None:
        self.pending: deque[T] = deque()
        self.task: asyncio.Task[None] | None = None
        self.tokens = float(burst)
        self.stamp = now
        self.noticed = False
        self.dropped = 0


class ChatLanes(Generic[T]):
    def __init__(
        self,
        process: Callable[[str, T], Awaitable[None]],
        *,
        rate: float,
        burst: int,
        max_backlog: int,
        on_flood: Callable[[str], Awaitable[None]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or max_backlog < burst:
            raise ValueError("need rate > 0, burst >= 1 and max_backlog >= burst")
        self._process = process
        self._rate = rate
        self._burst = burst
        self._max_backlog = max_backlog
        self._on_flood = on_flood
        self._clock = clock
        self._lanes: dict[str, _Lane[T]] = {}
        self._draining = asyncio.Event()
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._express_keys: set[str] = set()
        self.dropped = 0

    def backlog(self, key: str) -> int:
        lane = self._lanes.get(key)
        return len(lane.pending) if lane else 0

    def submit(self, key: str, item: T) -> bool:
        """Queue `item` on the lane of `key`; False when the backlog is full (item dropped)."""
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane(self._burst, self._clock())
        if len(lane.pending) >= self._max_backlog:
            self.dropped += 1
            lane.dropped += 1
            if lane.dropped == 1:
                _log.warning("chat %s: backlog full (%d queued), dropping", key, self._max_backlog)
            return False
        lane.pending.append(item)
        if len(lane.pending) > self._burst and not lane.noticed:
            lane.noticed = True
            _log.info("chat %s is flooding: %d updates queued, pacing it", key, len(lane.pending))
            if self._on_flood is not None:
                self._spawn(self._on_flood(key))
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._run(key, lane), name=f"telegram-lane-{key}")
        return True

    def busy(self, key: str) -> bool:
        """Whether the chat's lane is handling an update or has some queued."""
        lane = self._lanes.get(key)
        return lane is not None and (
            bool(lane.pending) or (lane.task is not None and not lane.task.done())
        )

    def express(self, key: str, item: T) -> bool:
        """Handle `item` at once, beside the lane (not queued behind it, not paced): for /sos
        while the chat's previous update is still being handled. One at a time per chat: False
        (nothing done) while the chat's previous express item runs. Awaited by `drain`."""
        if key in self._express_keys:
            return False
        self._express_keys.add(key)

        async def run() -> None:
            try:
                await self._process(key, item)
            except Exception:  # the processor reports its own errors
                _log.exception("chat %s: express update processing failed", key)
            finally:
                self._express_keys.discard(key)

        self._spawn(run())
        return True

    async def drain(self, timeout: float) -> int:  # noqa: ASYNC109 (a bound, not a cancel)
        """Handle everything queued, without pacing; returns the number of updates abandoned
        (still queued or in progress) after `timeout` seconds."""
        self._draining.set()
        tasks = [lane.task for lane in self._lanes.values() if lane.task and not lane.task.done()]
        tasks.extend(self._side_tasks)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        abandoned = sum(len(lane.pending) for lane in self._lanes.values())
        self._lanes.clear()
        return abandoned

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.create_task(run())
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)

    async def _take_token(self, lane: _Lane[T]) -> None:
        while not self._draining.is_set():
            now = self._clock()
            lane.tokens = min(float(self._burst), lane.tokens + (now - lane.stamp) * self._rate)
            lane.stamp = now
            if lane.tokens >= 1.0:
                lane.tokens -= 1.0
                return
            delay = (1.0 - lane.tokens) / self._rate
            try:
                async with asyncio.timeout(delay):
                    await self._draining.wait()
            except TimeoutError:
                pass

    async def _run(self, key: str, lane: _Lane[T]) -> None:
        while lane.pending:
            await self._take_token(lane)
            item = lane.pending.popleft()
            try:
                await self._process(key, item)
            except Exception:  # the processor reports its own errors; never kill the lane
                _log.exception("chat %s: update processing failed", key)
        if lane.dropped:
            _log.warning("chat %s: %d updates were dropped in this flood", key, lane.dropped)
        lane.noticed = False
        lane.dropped = 0
        # forget a lane whose bucket is full again (keeps memory bounded by active chats)
        refill = lane.tokens + (self._clock() - lane.stamp) * self._rate
        if refill >= self._burst and self._lanes.get(key) is lane:
            del self._lanes[key]
