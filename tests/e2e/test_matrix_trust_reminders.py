"""A reminder Relais sends on its own never reaches a practitioner whose cross-signing identity
changed since enrolment (an account reset, perhaps a takeover): the delivery is unreachable
("identity changed"), the escalation moves on, the new key is recorded as seen and audited
once; after `relais admin trust NAME` (`trust_identity`) the next reminder arrives. Real
Synapse, real bot, strict practitioner (tests/matrix)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.channels.base import IDENTITY_CHANGED
from bot.checkins.dispatcher import CheckinDispatcher
from bot.clock import FakeClock
from bot.policy import may_send_to
from bot.runtime import Runtime
from storage.models import OutboxRow
from tests.e2e.test_matrix_relais import runtime
from tests.e2e.test_matrix_trust import audit_events, enrol
from tests.matrix.conftest import PRACTITIONER_PASSWORD, BotFactory, PractitionerFactory
from tests.matrix.crosssigning import identity_of, reset_cross_signing

__all__ = ["runtime"]

REMINDER = "Check-in due: case K-8"


def test_only_the_pinned_identity_is_sent_to() -> None:
    assert may_send_to("KEY-A", "KEY-A")
    assert not may_send_to("KEY-A", "KEY-B")
    assert not may_send_to("KEY-A", None)  # the identity is gone
    assert may_send_to(None, "KEY-B")  # nothing pinned (enrolled without cross-signing)
    assert may_send_to(None, None)


@pytest.mark.synapse
async def test_a_reminder_is_withheld_from_a_changed_identity_until_the_coordinator_trusts_it(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    clock = runtime.clock
    assert isinstance(clock, FakeClock)
    clock.set(datetime(2026, 1, 4, 18, 0, tzinfo=UTC))
    bot = await bots.start(runtime.chat.handle)
    mentor = await practitioners.new("mentor")
    assert mentor.strict is not None
    room = await mentor.open_dm(bot.user_id)
    await enrol(runtime, mentor, room, "Ivo", "K-8")
    coordinator = await practitioners.new("coordinator")
    coordinator_room = await coordinator.open_dm(bot.user_id)
    code = (
        await runtime.relais.create_invite(role="coordinator", name="Cora", team="Team M")
    ).code
    await coordinator.say(coordinator_room, f"!start {code}")
    assert "Welcome, Cora" in (await coordinator.next_message(coordinator_room, timeout=20)).body
    await mentor.say(room, "/checkin K-8 every 1d 09:00")
    assert "K-8" in (await mentor.next_message(room, timeout=15)).body
    dispatcher = CheckinDispatcher(
        runtime.relais.db, clock, runtime.config.checkins, {"matrix": bot}
    )

    async def run_until(when: datetime) -> None:
        while (nxt := await dispatcher.next_wakeup()) is not None and nxt <= when:
            clock.set(max(nxt, clock.now()))
            await dispatcher.tick()
        clock.set(when)
        await dispatcher.tick()

    async def outbox() -> list[tuple[str, str, str | None]]:
        async with runtime.relais.db.transaction(clock.now()) as tx:
            rows = await tx.conn.execute(
                select(OutboxRow.kind, OutboxRow.status, OutboxRow.last_error).order_by(
                    OutboxRow.next_attempt_at
                )
            )
            return [(r[0], r[1], r[2]) for r in rows]

    await reset_cross_signing(mentor.client, PRACTITIONER_PASSWORD)  # an account reset
    new_key = (await identity_of(mentor.client, mentor.user_id)).master_key
    assert new_key is not None
    # the bot learns of the change in its sync (device_lists.changed), as in production
    await mentor.wait_for(
        lambda: bot.trust._identities.get(mentor.user_id) is None, 20, "the bot's sync"
    )

    inbox = len(mentor.seen)
    await run_until(datetime(2026, 1, 6, 8, 0, tzinfo=UTC))  # a reminder fell due
    sent = await outbox()
    withheld = [r for r in sent if r[2] and IDENTITY_CHANGED in r[2]]
    assert withheld, sent
    assert all(status == "unreachable" for _kind, status, _e in withheld), sent
    assert all(status != "sent" for kind, status, _e in sent if kind == "remind"), sent
    # the escalation moved on at once: the coordinator is told the mentor cannot be reached
    await coordinator.wait_for(
        lambda: any("cannot be reached" in m.body and "K-8" in m.body for m in coordinator.seen),
        20,
        "the coordinator's escalation",
    )
    changed = [
        d
        for a, _o, d in await audit_events(runtime)
        if a == "identity.device" and d.get("withheld")
    ]
    assert len(changed) == 1, changed  # audited once, however many messages were withheld
    assert changed[0]["event"] == "key_changed"
    ivo = next(p for p, _team in await runtime.relais.list_practitioners() if p.name == "Ivo")
    assert [i.seen_master_key for i in ivo.identities] == [new_key]  # `relais admin list`
    await mentor.say(room, "!ping-sync")  # anything: let the practitioner's client catch up
    await mentor.wait_for(lambda: len(mentor.seen) > inbox, 15, "the answer to !ping-sync")
    assert all(REMINDER not in m.body for m in mentor.seen[inbox:])

    confirmed = await runtime.relais.trust_identity("Ivo")  # `relais admin trust Ivo`
    assert [c.master_key for c in confirmed] == [new_key]
    await run_until(datetime(2026, 1, 7, 8, 0, tzinfo=UTC))
    await mentor.wait_for(
        lambda: any(REMINDER in m.body for m in mentor.seen[inbox:]), 20, "the next reminder"
    )
