"""The dispatcher turns due work into messages, exactly once. One `tick(now)`, in short
transactions driven by the database and the injected clock:
1. materialise: active schedules whose `next_due_at` has come get an occurrence per due time
   (late if it fell due while the bot was down; older than `late_window`: one summary message
   per practitioner instead), and their next due time advances;
2. escalate: open occurrences whose `next_action_at` has come take their next escalation step
   (first delivery to the reminded person, then owner, coordinator, fallback; pages along the
   rota), queueing messages in the outbox in the same transaction;
3. deliver: outbox messages are claimed under a lease, sent on the recipient's channels with
   their idempotency key, and recorded immediately after each send. A recipient unreachable on
   every channel (or a Matrix identity not the pinned one) moves the escalation on at once; a
   failed send is retried while useful, then given up loudly (`bot.checkins.delivery`).

Several processes may tick against one PostgreSQL database: claims use row locks with SKIP
LOCKED and compare-and-set updates; inserts are idempotent on natural keys (`tx.schedules`,
`tx.occurrences`, `tx.outbox`). The timer (`bot.checkins.timer`) only decides *when* to tick.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.channels.base import IDENTITY_CHANGED, Channel, SendResult
from bot.checkins import delivery
from bot.checkins import escalation as esc
from bot.checkins.escalation_steps import (
    LATE_AFTER,
    Lookups,
    apply_locked_steps,
    freeze_reminder_chain,
    quiet_hours_of,
    state_of,
)
from bot.checkins.quiet_hours import delivery_time
from bot.checkins.summary import summarise
from bot.clock import Clock
from bot.config import CheckinsConfig
from bot.display import neutralise_reply
from bot.messages import Reply
from bot.messaging.outbox import decode_payload
from storage import checkins_repo as repo
from storage.database import Database
from storage.recurrence import next_occurrence
from storage.repos.occurrences import Occurrences
from storage.repos.outbox import Outbox

__all__ = ["CheckinDispatcher", "TickReport"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class TickReport:
    materialised: int = 0
    summarised: int = 0
    steps: int = 0
    sent: int = 0
    unreachable: int = 0
    failed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def busy(self) -> bool:
        return bool(self.materialised or self.summarised or self.steps or self.sent)


class CheckinDispatcher:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: CheckinsConfig,
        channels: Mapping[str, Channel],
        *,
        process_id: str | None = None,
        batch: int = 100,
        send_concurrency: int = 16,
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.channels = dict(channels)
        self.process_id = process_id or (
            f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        )
        self.batch = batch
        self._send_slots = asyncio.Semaphore(send_concurrency)
        self._lock = asyncio.Lock()
        #: set on shutdown: a tick ends after the batch in progress
        self.stopping = False
        #: when the last tick ended without an error (health: the dispatcher is alive)
        self.last_tick_at: datetime | None = None

    # -- the loop ---------------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Do everything that is due now; returns what was done (for logs and tests)."""
        report = TickReport()
        async with self._lock:
            for _ in range(10_000):  # bounded: each pass handles at most one batch per stage
                if self.stopping:
                    break
                now = self.clock.now()
                before = (report.materialised, report.summarised, report.steps, report.sent)
                before_out = report.unreachable + report.failed
                await self._materialise(now, report)
                await self._escalate(now, report)
                await self._deliver(now, report)
                after = (report.materialised, report.summarised, report.steps, report.sent)
                if after == before and report.unreachable + report.failed == before_out:
                    break
        self.last_tick_at = self.clock.now()
        return report

    async def next_wakeup(self) -> datetime | None:
        async with self.db.connect() as conn:
            return await Outbox(conn).next_wakeup()

    # -- 1. schedules -> occurrences --------------------------------------------------------

    async def _materialise(self, now: datetime, report: TickReport) -> None:
        async with self.db.transaction(now) as tx:
            look = Lookups(tx)
            schedules = await tx.schedules.claim_due(now=now, limit=self.batch)
            await look.prime(
                cases=[s.case_id for s in schedules], people=[s.reminded_id for s in schedules]
            )
            missed: dict[str, list[str]] = defaultdict(list)
            occurrences: list[dict[str, Any]] = []
            advanced: list[tuple[str, datetime | None]] = []
            for schedule in schedules:
                case = await look.case(schedule.case_id)
                person = await look.person(schedule.reminded_id)
                if case is None or person is None or not schedule.runs_on(case.status):
                    advanced.append((schedule.id, None))  # a closed case: no more check-ins
                    continue
                quiet = quiet_hours_of(person)
                due = schedule.next_due_at
                skipped = 0
                while due is not None and due <= now:
                    if now - due > self.config.late_window:
                        skipped += 1
                    else:
                        late = now - due > LATE_AFTER
                        deliver = delivery_time(
                            max(due, now) if late else due,
                            person.time_zone,
                            quiet,
                            urgent=schedule.urgent,
                        )
                        occurrences.append(
                            Occurrences.values(
                                kind="checkin",
                                schedule_id=schedule.id,
                                case_id=schedule.case_id,
                                recipient_id=schedule.reminded_id,
                                due_at=due,
                                deliver_at=deliver,
                                late=late,
                                now=now,
                            )
                        )
                    due = next_occurrence(schedule.rule, due)
                advanced.append((schedule.id, due))
                if skipped:
                    report.summarised += skipped
                    missed[schedule.reminded_id].extend([case.code] * skipped)
                    await tx.audit(
                        actor_kind="system",
                        actor_id=None,
                        action="checkin.missed_summarised",
                        case_id=case.id,
                        case_code=case.code,
                        detail={"schedule": schedule.id, "count": skipped},
                    )
            report.materialised += await tx.occurrences.add_many(rows=occurrences)
            await tx.schedules.advance(rows=advanced, now=now)
            for pid, codes in missed.items():
                await summarise(tx, look, pid, codes)

    # -- 2. occurrences -> escalation steps -------------------------------------------------

    async def _escalate(self, now: datetime, report: TickReport) -> None:
        async with self.db.transaction(now) as tx:
            look = Lookups(tx)
            due = await tx.occurrences.claim_due(now=now, limit=self.batch)
            await look.prime(
                cases=[o.case_id for o in due],
                people=[o.recipient_id for o in due],
                schedules=[o.schedule_id for o in due if o.status == "pending"],
            )
            steps: list[tuple[repo.Occurrence, esc.Chain, esc.Step, str]] = []
            for occ in due:
                if occ.status == "pending":
                    if occ.kind == "checkin":
                        chain = await freeze_reminder_chain(tx, occ, self.config, look)
                    else:
                        chain = esc.Chain.from_json(occ.escalation_chain)
                    steps.append((occ, chain, esc.start(chain, now), "due"))
                    continue
                chain = esc.Chain.from_json(occ.escalation_chain)
                step = esc.timeout(chain, state_of(occ), now)
                if step.notify or step.state != state_of(occ):
                    steps.append((occ, chain, step, "timeout"))
            report.steps += await apply_locked_steps(tx, look, steps)

    # -- 3. outbox -> channels --------------------------------------------------------------

    async def _deliver(self, now: datetime, report: TickReport) -> None:
        async with self.db.transaction(now) as tx:
            items = await tx.outbox.claim(
                now=now,
                owner=self.process_id,
                lease=self.config.send_lease,
                limit=self.batch,
            )
            idents = await tx.checkin_reads.identities_for(
                practitioner_ids=[i.practitioner_id for i in items if i.practitioner_id]
            )
        if not items:
            return
        done: asyncio.Queue[_Outcome] = asyncio.Queue()
        recorder = asyncio.create_task(self._record(done, len(items), report))
        try:
            await asyncio.gather(
                *(
                    self._send_one(item, idents.get(item.practitioner_id or "", []), done)
                    for item in items
                )
            )
        finally:
            await recorder

    async def _send_one(
        self, item: repo.OutboxItem, idents: list[repo.Identity], done: asyncio.Queue[_Outcome]
    ) -> None:
        """Send one message, and keep its sending slot until its outcome is committed: at any
        moment at most `send_concurrency` messages are sent but not yet recorded, which bounds
        what a crash can make a channel without idempotency (Telegram) deliver twice."""
        outcome = _Outcome(item, "unreachable")
        async with self._send_slots:
            try:
                reply = decode_payload(self.db.keys, item)
                not_running = False
                for ident in idents:
                    chan = self.channels.get(ident.channel)
                    if chan is None:
                        not_running = True
                        continue
                    result = await self._send(chan, ident, reply, item.idempotency_key)
                    if result.status == "sent":
                        outcome.status, outcome.channel = "sent", ident.channel
                        break
                    if result.status == "unreachable" and result.detail == IDENTITY_CHANGED:
                        outcome.changed.append((ident, result.master_key))
                        outcome.error = f"{ident.channel}:{IDENTITY_CHANGED}"
                        continue  # not marked unreachable: sent again once trusted
                    if result.status == "unreachable":
                        outcome.dead.append(ident)
                        continue
                    outcome.status, outcome.error = "failed", f"{ident.channel}:failed"
                    if item.kind not in delivery.FAILOVER_KINDS and item.failures < 2:
                        break  # retry later on the same channel rather than risk two copies
                if outcome.status == "unreachable" and not_running:
                    outcome.status, outcome.error = "failed", "channel_not_running"
            except Exception as exc:  # e.g. a payload no key decrypts: retried, then given up
                log.exception("outbox %s: cannot send (%s)", item.id, type(exc).__name__)
                outcome.status, outcome.error = "failed", type(exc).__name__
            finally:
                done.put_nowait(outcome)
            await outcome.recorded.wait()

    async def _record(
        self, done: asyncio.Queue[_Outcome], expected: int, report: TickReport
    ) -> None:
        """Record send outcomes as they arrive, several per transaction (group commit): the
        window in which a crash leaves a sent message recorded as `sending` stays short."""
        recorded, broken = 0, False
        while recorded < expected:
            batch = [await done.get()]
            while not done.empty():
                batch.append(done.get_nowait())
            recorded += len(batch)
            now = self.clock.now()
            moved_on: list[tuple[repo.OutboxItem, str | None]] = []
            try:
                if not broken:
                    moved_on = await self._record_batch(batch, now, report)
            except Exception as exc:  # the rows stay `sending`: re-sent after the lease
                log.exception("could not record send outcomes (%s)", type(exc).__name__)
                broken = True
            finally:
                for out in batch:
                    out.recorded.set()
            for item, final in moved_on:
                try:
                    await delivery.move_on(self.db, item, final, now)
                except Exception as exc:  # retried: the next failure of the message moves on
                    log.exception("outbox %s: could not move on (%s)", item.id, type(exc).__name__)

    async def _record_batch(
        self, batch: list[_Outcome], now: datetime, report: TickReport
    ) -> list[tuple[repo.OutboxItem, str | None]]:
        """Record each outcome. Returns the messages whose recipient could not be reached,
        with `failed` / `unreachable` when the message is given up for good (else None: it is
        retried, and only its escalation moves on)."""
        moved_on: list[tuple[repo.OutboxItem, str | None]] = []
        async with self.db.transaction(now) as tx:
            statuses = await tx.occurrences.statuses(
                ids=[o.item.occurrence_id for o in batch if o.item.occurrence_id],
            )
            for out in batch:
                for ident in out.dead:
                    await tx.people.set_identity_unreachable(
                        channel=ident.channel, user_id=ident.user_id, unreachable=True
                    )
                for ident, key in out.changed:
                    await delivery.record_identity_change(tx, out.item, ident, key)
                item = out.item
                useful = True
                if out.status == "failed":
                    failures = item.failures + 1
                    occ_status = statuses.get(item.occurrence_id or "")
                    useful = occ_status is None or occ_status in delivery.USEFUL_OCCURRENCE
                    if not delivery.give_up(
                        failures=failures,
                        created_at=item.created_at,
                        now=now,
                        retry_for=self.config.retry_for,
                        useful=useful,
                    ):
                        retried = await tx.outbox.finish(
                            outbox_id=item.id,
                            owner=self.process_id,
                            status="pending",
                            now=now,
                            retry_at=now + delivery.backoff(failures),
                            error=out.error,
                            failure=True,
                        )
                        if retried and item.kind in delivery.FAILOVER_KINDS:
                            moved_on.append((item, None))
                        continue
                    if not useful:
                        out.error = f"{out.error};no longer needed"
                recorded = await tx.outbox.finish(
                    outbox_id=item.id,
                    owner=self.process_id,
                    status=out.status,
                    now=now,
                    channel=out.channel,
                    error=out.error,
                    failure=out.status == "failed",
                )
                if not recorded and out.status != "sent":
                    continue  # our lease ran out: another process holds the message now
                if out.status == "sent":
                    report.sent += 1
                    report.by_kind[item.kind] = report.by_kind.get(item.kind, 0) + 1
                    continue
                log.warning("outbox %s: given up, %s (%s)", item.id, out.status, item.kind)
                if out.status == "unreachable":
                    report.unreachable += 1
                else:
                    report.failed += 1
                if useful:  # a message no longer needed is given up without an alert
                    moved_on.append((item, out.status))
        return moved_on

    async def _send(
        self, chan: Channel, ident: repo.Identity, reply: Reply, key: str
    ) -> SendResult:
        try:
            safe = neutralise_reply(reply)
            pinned = ident.pinned_key  # Matrix: nothing goes to another identity
            return await chan.send_to_user(ident.user_id, safe, key, expected_identity=pinned)
        except Exception as exc:  # an adapter should not raise; a bug must not stop the loop
            log.exception("channel %s raised on send (%s)", ident.channel, type(exc).__name__)
            return SendResult("failed", detail=type(exc).__name__)


@dataclass(slots=True)
class _Outcome:
    item: repo.OutboxItem
    status: str  # sent | unreachable | failed
    channel: str | None = None
    error: str | None = None
    dead: list[repo.Identity] = field(default_factory=list)
    #: identities not sent to: their master key (given) is not the pinned one
    changed: list[tuple[repo.Identity, str | None]] = field(default_factory=list)
    recorded: asyncio.Event = field(default_factory=asyncio.Event)
