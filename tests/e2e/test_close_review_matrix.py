"""Closing a case and the review pack over Matrix with end-to-end encryption (a real Synapse,
a strict matrix-nio practitioner, the real adapter, SQLite).

- `!close`: Matrix has no buttons; the question's three choices come numbered and a typed
  number picks one. "Keep it open" closes nothing; "Close, with the follow-up" closes the case,
  ends its check-ins still to come (the monthly review) and schedules the post-exit follow-up,
  as the database shows. The question is answered once: a number typed afterwards picks
  nothing (Telegram takes the keyboard off). A member who is not the owner is refused.
- `!review-pack` / `!review_pack`: the month's pack (by default last month's, in HTML) arrives
  as an encrypted m.file in the encrypted room; the practitioner's client decrypts it and finds
  the decisions taken in chat that month, and not the next month's (which the next pack has,
  beside the earlier one carried).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.clock import FakeClock
from bot.runtime import Runtime
from tests.e2e.test_exit_matrix import runtime
from tests.matrix.conftest import BotFactory, PractitionerFactory
from tests.matrix.practitioner import Practitioner

__all__ = ["runtime"]  # the fixture, shared with test_exit_matrix

pytestmark = pytest.mark.synapse

NOT_UNDERSTOOD = "I did not understand that."


async def _enrol(
    runtime: Runtime, practitioner: Practitioner, room: str, role: str, name: str
) -> None:
    code = (await runtime.relais.create_invite(role=role, name=name, team="Team M")).code
    await practitioner.say(room, f"!start {code}")
    assert f"Welcome, {name}" in (await practitioner.next_message(room, timeout=20)).body


async def _stored(runtime: Runtime, code: str) -> tuple[str, list[tuple[str, bool]]]:
    """From the database: the status of case `code`, and (status, after_close) of every
    check-in schedule of it."""
    every = ("active", "paused", "cancelled", "done")
    async with runtime.relais.db.transaction(runtime.clock.now()) as tx:
        case = await tx.cases.by_code(code=code)
        assert case is not None
        found = await tx.schedules.find(case_ids=[case.id], statuses=every)
    return case.status, sorted((s.status, s.after_close) for s in found)


async def test_close_by_a_typed_number_in_an_encrypted_dm(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(runtime.chat.handle)
    owner = await practitioners.new("owner")
    room = await owner.open_dm(bot.user_id)
    await _enrol(runtime, owner, room, "social_worker", "Sol")
    member = await practitioners.new("member")
    member_room = await member.open_dm(bot.user_id)
    await _enrol(runtime, member, member_room, "mentor", "Mina")
    await runtime.relais.create_case("K-5", owner="Sol", team="Team M")
    await runtime.relais.add_member("K-5", "Mina", role="mentor")
    assert await _stored(runtime, "K-5") == ("open", [("active", False)])  # the monthly review

    await member.say(member_room, "!close K-5")  # on the case, not its owner
    refused = await member.next_message(member_room)
    assert refused.body == "You are not allowed to do that on this case."
    await member.say(member_room, "2")  # no question was asked: the number presses nothing
    assert (await member.next_message(member_room)).body.startswith(NOT_UNDERSTOOD)

    await owner.say(room, "!close K-5")
    asked = await owner.next_message(room)
    assert asked.body.startswith("Close case K-5?")
    for choice in ("1. Close, with the follow-up", "2. Close, no follow-up", "3. Keep it open"):
        assert choice in asked.body
    await owner.say(room, "3")
    assert (await owner.next_message(room)).body == "Case K-5 stays open."
    await owner.say(room, "1")  # answered: the question's "1" is gone with it
    assert (await owner.next_message(room)).body.startswith(NOT_UNDERSTOOD)
    assert await _stored(runtime, "K-5") == ("open", [("active", False)])

    await owner.say(room, "!close K-5")
    await owner.next_message(room)
    await owner.say(room, "1")
    closed = await owner.next_message(room)
    assert closed.body.splitlines() == [
        "Case K-5 is closed; 1 check-in(s) still to come ended. The post-exit follow-up will "
        "remind you:",
        "- Wed 04 Feb 10:00 – Post-exit follow-up, 1 month",
        "- Mon 06 Apr 10:00 – Post-exit follow-up, 3 months",
        "- Mon 06 Jul 10:00 – Post-exit follow-up, 6 months",
        "- Tue 05 Jan 10:00 – Post-exit follow-up, 12 months",
    ]
    # the monthly review ended with the case; only the four follow-up check-ins run after it
    after = ("closed", [("active", True)] * 4 + [("cancelled", False)])
    assert await _stored(runtime, "K-5") == after
    await owner.say(room, "2")
    assert (await owner.next_message(room)).body.startswith(NOT_UNDERSTOOD)
    assert await _stored(runtime, "K-5") == after
    assert owner.refused == []


async def test_review_pack_arrives_as_an_encrypted_file(
    runtime: Runtime, clock: FakeClock, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(runtime.chat.handle)
    owner = await practitioners.new("owner")
    room = await owner.open_dm(bot.user_id)
    await _enrol(runtime, owner, room, "social_worker", "Sol")
    await runtime.relais.create_case("K-5", owner="Sol", team="Team M")

    await owner.say(room, "!decision K-5 Ask the housing office for a flat")  # 5 January
    recorded = await owner.next_message(room)
    assert recorded.body == "Decision 1 recorded on case K-5. /decisions K-5 lists them all."
    clock.set(datetime(2026, 2, 3, 9, 0, tzinfo=UTC))
    await owner.say(room, "!decision K-5 Call the employment adviser")
    assert (await owner.next_message(room)).body.startswith("Decision 2 recorded on case K-5.")
    await owner.say(room, "!decisions K-5")
    listed = (await owner.next_message(room)).body
    assert "1. Ask the housing office for a flat" in listed
    assert "2. Call the employment adviser" in listed

    await owner.say(room, "!review-pack K-5")  # default: last month, printable HTML
    caption = await owner.next_message(room)
    assert caption.body.startswith("Review pack of case K-5 for 2026-01")
    document = await owner.next_message(room)
    assert document.msgtype == "m.file"
    assert document.encrypted  # sent in the encrypted room, encrypted
    assert "file" in document.content  # an encrypted upload, not a plain URL
    assert "url" not in document.content
    assert document.content["body"] == "review-pack-K-5-2026-01.html"
    assert document.content["info"]["mimetype"] == "text/html"
    html = (await owner.download(document)).decode("utf-8")
    assert "Ask the housing office for a flat" in html
    assert "Call the employment adviser" not in html  # February's, not in January's pack

    await owner.say(room, "!review_pack K-5 2026-02 md")
    assert (await owner.next_message(room)).body.startswith("Review pack of case K-5 for 2026-02")
    document = await owner.next_message(room)
    assert document.content["body"] == "review-pack-K-5-2026-02.md"
    pack = (await owner.download(document)).decode("utf-8")
    assert "Monthly review pack: K-5, 2026-02" in pack
    carried, taken = pack.split("### Decisions taken in this period")
    assert "Ask the housing office for a flat" in carried.split("earlier reviews")[1]
    assert "Call the employment adviser" in taken
    assert owner.refused == []
