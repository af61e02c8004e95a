"""Pinned practitioner identities on the real Synapse with the real bot: a second device its
owner did not cross-sign gets crisis guidance but no case data; a reset of the practitioner's
cross-signing blocks case data until the coordinator confirms it (`trust_identity`, what
`relais admin trust NAME` runs); both are audited. (The bot's own restart keeping its device and
master key: tests/matrix/test_matrix_identity.py.)"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from storage.models import AuditEntryRow
from tests.e2e.test_matrix_relais import runtime
from tests.matrix.conftest import PRACTITIONER_PASSWORD, BotFactory, PractitionerFactory
from tests.matrix.crosssigning import identity_of, reset_cross_signing
from tests.matrix.practitioner import Practitioner

__all__ = ["runtime"]

pytestmark = pytest.mark.synapse

UNSIGNED = "not verified it"
KEY_CHANGED = "security identity has changed"


async def audit_events(runtime: Runtime) -> list[tuple[str, str, dict[str, object]]]:
    db = runtime.relais.db
    async with db.transaction(runtime.relais.clock.now()) as tx:
        rows = await tx.conn.execute(select(AuditEntryRow).order_by(AuditEntryRow.seq))
        return [(r.action, r.outcome, json.loads(r.detail)) for r in rows]


async def enrol(runtime: Runtime, mentor: Practitioner, room: str, name: str, case: str) -> None:
    code = (await runtime.relais.create_invite(role="mentor", name=name, team="Team M")).code
    await mentor.say(room, f"!start {code}")
    assert f"Welcome, {name}" in (await mentor.next_message(room, timeout=20)).body
    await runtime.relais.create_case(case, owner=name, team="Team M")


async def test_a_second_unsigned_device_gets_crisis_guidance_but_no_case_data(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    # "all": the bot encrypts to the unsigned device too, so it can read what it is told
    bot = await bots.start(runtime.chat.handle, device_trust="all")
    phone = await practitioners.new("mentor")
    room = await phone.open_dm(bot.user_id)
    await enrol(runtime, phone, room, "Max", "K-5")
    laptop = await practitioners.new_device(phone, cross_signed=False)
    await laptop.wait_for(lambda: room in laptop.client.rooms, what="the DM on the laptop")

    await laptop.say(room, "/sos")
    assert "112" in (await laptop.next_message(room, timeout=15)).body
    await laptop.say(room, "/crisis")
    assert "1. Emergency contacts" in (await laptop.next_message(room, timeout=10)).body
    await laptop.say(room, "/cancel")
    await laptop.next_message(room, timeout=10)
    for command in ("/cases", "!notes K-5", "!note K-5 typed on a stranger's laptop"):
        await laptop.say(room, command)
        reply = (await laptop.next_message(room, timeout=10)).body
        assert UNSIGNED in reply, (command, reply)
        assert "K-5" not in reply, (command, reply)

    actor = await runtime.relais.identify("matrix", phone.user_id)
    assert actor is not None
    assert await runtime.relais.list_notes(actor, "K-5") == []
    events = await audit_events(runtime)
    assert any(a == "identity.device" and d["event"] == "unsigned_device" for a, _o, d in events)
    assert ("cases.list", "denied", {"device": "unsigned_device"}) in events

    # the signed phone still sees its cases
    phone_inbox = len(phone.seen)
    await phone.say(room, "/cases")
    await phone.wait_for(
        lambda: any("K-5" in m.body for m in phone.seen[phone_inbox:]), 15, "the phone's cases"
    )


async def test_an_unsigned_device_gets_help_but_never_case_data_by_default(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(runtime.chat.handle)  # device_trust = "cross-signed"
    phone = await practitioners.new("mentor")
    room = await phone.open_dm(bot.user_id)
    await enrol(runtime, phone, room, "Noa", "K-7")
    laptop = await practitioners.new_device(phone, cross_signed=False)
    await laptop.wait_for(lambda: room in laptop.client.rooms, what="the DM on the laptop")

    await phone.say(room, "!note K-7 Slept well")
    assert "Note logged on case K-7" in (await phone.next_message(room, timeout=10)).body
    await phone.say(room, "!notes K-7")
    assert "Slept well" in (await phone.next_message(room, timeout=10)).body
    for _ in range(2):  # both answers reached the laptop without their key
        assert (await laptop.next_message(room, timeout=10)).msgtype == "undecryptable"
    assert all("Slept well" not in m.body for m in laptop.seen)

    # the laptop's own questions are answered so that it can read them: help, no case data
    await laptop.say(room, "/sos")
    assert "112" in (await laptop.next_message(room, timeout=15)).body
    await laptop.say(room, "!notes K-7")
    reply = (await laptop.next_message(room, timeout=10)).body
    assert UNSIGNED in reply
    assert "Slept well" not in reply


async def test_a_master_key_change_blocks_case_data_until_the_coordinator_trusts_it(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(runtime.chat.handle)
    mentor = await practitioners.new("mentor")
    room = await mentor.open_dm(bot.user_id)
    await enrol(runtime, mentor, room, "Ivo", "K-6")
    old_key = (await identity_of(mentor.client, mentor.user_id)).master_key

    await reset_cross_signing(mentor.client, PRACTITIONER_PASSWORD)  # an account reset
    new_key = (await identity_of(mentor.client, mentor.user_id)).master_key
    assert new_key is not None
    assert new_key != old_key

    await mentor.say(room, "/cases")
    reply = (await mentor.next_message(room, timeout=15)).body
    assert KEY_CHANGED in reply
    assert "K-6" not in reply
    await mentor.say(room, "/sos")
    assert "112" in (await mentor.next_message(room, timeout=10)).body
    events = await audit_events(runtime)
    changed = [d for a, _o, d in events if a == "identity.device"]
    assert changed
    assert changed[-1]["event"] == "key_changed"

    confirmed = await runtime.relais.trust_identity("Ivo")
    assert [c.master_key for c in confirmed] == [new_key]
    await mentor.say(room, "/cases")
    assert "K-6" in (await mentor.next_message(room, timeout=10)).body
    assert any(a == "identity.trust" for a, _o, _d in await audit_events(runtime))
