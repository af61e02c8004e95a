"""Relais end to end over Matrix with end-to-end encryption: a real Synapse, a matrix-nio
practitioner in an encrypted DM, the real adapter, chat layer, engine and database (SQLite)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.runtime import Runtime, open_runtime
from tests.matrix.conftest import BotFactory, PractitionerFactory

pytestmark = pytest.mark.synapse


@pytest.fixture
async def runtime(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[Runtime]:
    config = Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(chat_content),
        storage=StorageConfig(url=sqlite_url),
    )
    opened = await open_runtime(config, clock)
    await opened.relais.ensure_team("Team M")
    await opened.relais.import_contacts(
        {"contact": [{"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"}]},
        team="Team M",
    )
    yield opened
    await opened.relais.close()


async def test_enrol_crisis_sos_and_note_in_an_encrypted_dm(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(runtime.chat.handle)
    mentor = await practitioners.new("mentor")
    assert mentor.strict is not None  # Element's "exclude insecure devices" (tests/e2e)
    room = await mentor.open_dm(bot.user_id)

    # the very first message of a fresh encrypted DM is answered: the invite code
    code = (await runtime.relais.create_invite(role="mentor", name="Mona", team="Team M")).code
    await mentor.say(room, f"!start {code}")
    welcome = await mentor.next_message(room, timeout=20)
    assert "Welcome, Mona" in welcome.body
    assert welcome.msgtype == "m.notice"
    await runtime.relais.create_case("K-3", owner="Mona", team="Team M")

    await mentor.say(room, "/sos")
    sos = await mentor.next_message(room, timeout=10)
    assert "112" in sos.body

    await mentor.say(room, "/crisis")
    menu = await mentor.next_message(room, timeout=10)
    assert "1. Emergency contacts" in menu.body
    assert "2. A difficult talk" in menu.body
    await mentor.say(room, "2")
    question = await mentor.next_message(room, timeout=10)
    assert "What happened" in question.body
    # every screen of the crisis guide shows the way to the emergency contacts
    assert question.body.endswith("Send /sos for emergency contacts.")
    await mentor.say(room, "Angry after the hearing")
    offer = await mentor.next_message(room, timeout=10)
    assert "1. Yes" in offer.body
    assert "3. Emergency contacts" in offer.body
    await mentor.say(room, "3")
    contacts = await mentor.next_message(room, timeout=10)
    assert "EMERGENCY CONTACTS" in contacts.body
    offer = await mentor.next_message(room, timeout=10)  # the same question, again
    assert "1. Yes" in offer.body
    await mentor.say(room, "yes")  # the option's text works as well as its number
    logged = await mentor.next_message(room, timeout=10)
    assert "Note logged on case K-3" in logged.body
    follow_up = await mentor.next_message(room, timeout=10)
    assert "Follow up in 24 hours?" in follow_up.body
    await mentor.say(room, "2")
    assert "Thank you" in (await mentor.next_message(room, timeout=10)).body
    # the dialog is over: one optional question (bot.chat.feedback), left unanswered here
    assert "Did this help?" in (await mentor.next_message(room, timeout=10)).body

    actor = await runtime.relais.identify("matrix", mentor.user_id)
    notes = await runtime.relais.list_notes(actor, "K-3")
    assert notes[0].body == "Debrief: Angry after the hearing"

    await mentor.say(room, "!note K-3 Calmer on the phone")
    assert "Note logged on case K-3" in (await mentor.next_message(room, timeout=10)).body
    assert mentor.refused == []  # every message of the bot came from a cross-signed device


async def test_legacy_client_without_cross_signing_with_device_trust_all(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    """`[matrix] device_trust = "all"`: a lenient client whose account has no cross-signing
    enrols, gets /sos and logs a note (what Relais did before cross-signing)."""
    bot = await bots.start(runtime.chat.handle, device_trust="all")
    mentor = await practitioners.new("legacy", cross_signed=False, strict=False)
    room = await mentor.open_dm(bot.user_id)
    code = (await runtime.relais.create_invite(role="mentor", name="Lea", team="Team M")).code
    await mentor.say(room, f"!start {code}")
    assert "Welcome, Lea" in (await mentor.next_message(room, timeout=20)).body
    await runtime.relais.create_case("K-4", owner="Lea", team="Team M")
    await mentor.say(room, "/sos")
    assert "112" in (await mentor.next_message(room, timeout=10)).body
    await mentor.say(room, "!note K-4 Fine today")
    assert "Note logged on case K-4" in (await mentor.next_message(room, timeout=10)).body


async def test_unknown_user_in_a_dm_is_refused(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(runtime.chat.handle)
    stranger = await practitioners.new("stranger")
    room = await stranger.open_dm(bot.user_id)
    await stranger.say(room, "/cases")
    reply = await stranger.next_message(room, timeout=20)
    assert "invitation code" in reply.body
