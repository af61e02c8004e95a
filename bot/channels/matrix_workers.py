"""The Matrix channel's room workers: each room's events are handled in order, one at a time.

A /sos (or !sos) arriving while its room's worker is busy with a slow turn is handled beside
it at once (`bot.chat.sos` answers it without the conversation's lock), one at a time per room;
more queue in the room. Every event belongs to the `Batch` of its sync response: the channel
saves a batch's sync token once all its events are handled (`on_handled`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nio import Event, RoomMessageText

from bot.messages import is_sos

__all__ = ["Batch", "RoomWorkers"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Batch:
    """The events of one sync response; its token is saved once they are all handled."""

    token: str
    remaining: int = 0


class RoomWorkers:
    """One worker task per room, started with the room's first event."""

    def __init__(
        self,
        handle: Callable[[str, Event], Awaitable[None]],
        on_handled: Callable[[], None],
    ) -> None:
        self._handle = handle
        self._on_handled = on_handled
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._queues: dict[str, asyncio.Queue[tuple[Event, Batch]]] = {}
        #: rooms whose worker is handling an event, and the /sos handled beside them
        self._handling: set[str] = set()
        self._express: set[asyncio.Task[None]] = set()
        self._beside: set[str] = set()  # rooms with a /sos handled beside (one at a time)

    def submit(self, room_id: str, event: Event, batch: Batch) -> None:
        """Queue `event` in its room (counted in `batch`), or handle a /sos beside at once."""
        batch.remaining += 1
        if room_id in self._handling and room_id not in self._beside and _is_sos(event):
            self._handle_beside(room_id, event, batch)  # never behind a slow turn
        else:
            self._queue(room_id).put_nowait((event, batch))

    async def stop(self, drain_timeout: float) -> None:
        """Let the queued events be handled for up to `drain_timeout` s, then cancel."""
        queues = list(self._queues.values())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(q.join() for q in queues)), drain_timeout)
        for worker in [*self._workers.values(), *self._express]:
            worker.cancel()
        for worker in [*self._workers.values(), *self._express]:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers.clear()
        self._express.clear()
        self._handling.clear()
        self._beside.clear()
        self._queues.clear()

    def _queue(self, room_id: str) -> asyncio.Queue[tuple[Event, Batch]]:
        queue = self._queues.get(room_id)
        if queue is None:
            queue = self._queues[room_id] = asyncio.Queue()
            self._workers[room_id] = asyncio.create_task(self._worker(room_id, queue))
        return queue

    def _handle_beside(self, room_id: str, event: Event, batch: Batch) -> None:
        """Handle a /sos at once, beside the room's busy worker (bot.chat.sos answers it
        without waiting for the conversation's lock)."""

        async def run() -> None:
            try:
                await self._handle(room_id, event)
            except Exception:
                logger.exception("matrix: handling event %s in %s failed", event.event_id, room_id)
            finally:
                self._beside.discard(room_id)
            batch.remaining -= 1
            self._on_handled()

        self._beside.add(room_id)
        task = asyncio.create_task(run())
        self._express.add(task)
        task.add_done_callback(self._express.discard)

    async def _worker(self, room_id: str, queue: asyncio.Queue[tuple[Event, Batch]]) -> None:
        while True:
            event, batch = await queue.get()
            self._handling.add(room_id)
            try:
                await self._handle(room_id, event)
            except asyncio.CancelledError:
                # stopped mid-way: the batch's token stays unsaved, so after a restart the
                # event is synced again (and, if it was answered, skipped as processed)
                raise
            except Exception:
                logger.exception("matrix: handling event %s in %s failed", event.event_id, room_id)
            finally:
                self._handling.discard(room_id)
            batch.remaining -= 1
            queue.task_done()
            self._on_handled()


def _is_sos(event: Event) -> bool:
    """A decrypted (or plain) text message that is /sos or !sos."""
    return isinstance(event, RoomMessageText) and is_sos(event.body)
