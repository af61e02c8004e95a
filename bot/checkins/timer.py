"""The in-process timer: APScheduler 3 (AsyncIOScheduler), and nothing more.

The database is the source of truth; the timer only decides when the dispatcher looks at it.
Two jobs, without arguments (so nothing sensitive could ever be pickled into a job store):

- ``checkins.wake``: a one-shot at the earliest instant the database says something is due
  (a schedule's next due time, an escalation step, a message retry or an expired send lease),
  re-armed after every tick. Rebuilding the timers at start is therefore one indexed MIN()
  query, however many schedules there are.
- ``checkins.poll``: every `checkins.poll_interval`, picks up work other processes created (a
  schedule added with `relais checkins add`, a page from another process).

Job options, chosen deliberately (APScheduler's defaults are `misfire_grace_time=1` second and
`coalesce=True`, which silently drop a run that starts late):

- ``misfire_grace_time=None``: a run that is late (event loop busy, machine suspended) still
  runs, however late; lateness is handled by the dispatcher, which reads the database.
- ``coalesce=True``: several missed runs become one; one tick does all the due work anyway.
- ``max_instances=1``: a job never overlaps itself. The job only starts a tick task and
  returns, so a long tick (a catch-up) never makes the scheduler skip and warn; a tick asked
  for while one runs is run right after it (the dispatcher also holds a lock).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.checkins.dispatcher import CheckinDispatcher

__all__ = ["CheckinTimer"]

log = logging.getLogger(__name__)

_JOB_OPTIONS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


class CheckinTimer:
    def __init__(self, dispatcher: CheckinDispatcher, poll_interval: timedelta) -> None:
        self.dispatcher = dispatcher
        self.poll_interval = poll_interval
        self._scheduler: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self.ticks = 0

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    async def start(self) -> None:
        """Start the scheduler and begin a first tick now (the catch-up after downtime); returns
        without waiting for it."""
        scheduler = AsyncIOScheduler(timezone=UTC, event_loop=asyncio.get_running_loop())
        scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=max(1, int(self.poll_interval.total_seconds()))),
            id="checkins.poll",
            **_JOB_OPTIONS,
        )
        scheduler.start()
        self._scheduler = scheduler
        await self._run()

    async def wait_idle(self) -> None:
        """Wait for the tick in progress, if any (tests, benchmarks, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.gather(self._task, return_exceptions=True)

    def poke(self) -> None:
        """Tick as soon as possible (new work due now, e.g. a page)."""
        self._arm_at(datetime.now(UTC))

    async def stop(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        self.dispatcher.stopping = True  # a tick in progress ends after its current batch
        if self._task is not None:  # ... whose sends are recorded before we return
            await asyncio.gather(self._task, return_exceptions=True)

    def _arm_at(self, when: datetime) -> None:
        if self._scheduler is None:
            return
        self._scheduler.add_job(
            self._run,
            DateTrigger(run_date=when, timezone=UTC),
            id="checkins.wake",
            replace_existing=True,
            **_JOB_OPTIONS,
        )

    async def _run(self) -> None:
        if self._scheduler is None:
            return
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._ticks())

    async def _ticks(self) -> None:
        when = None
        try:
            while True:
                self._again = False
                report = await self.dispatcher.tick()
                self.ticks += 1
                if report.busy:
                    log.info(
                        "check-ins: %d due, %d summarised, %d steps, %d sent, %d unreachable",
                        report.materialised,
                        report.summarised,
                        report.steps,
                        report.sent,
                        report.unreachable,
                    )
                if not self._again:
                    break
            when = await self.dispatcher.next_wakeup()
        except Exception as exc:  # the database may be away: the poll job tries again
            log.exception("check-in tick failed (%s)", type(exc).__name__)
            return
        if when is not None:
            # the wake-up is computed on the injected clock; the scheduler runs on real time
            delay = when - self.dispatcher.clock.now()
            self._arm_at(datetime.now(UTC) + max(delay, timedelta(0)))
