"""The monthly review end to end over Telegram (the fake Bot API server, python-telegram-bot's
HTTP stack, the chat layer, the check-in dispatcher, SQLite), with `allow_case_notes`: a case
with notes of every tag and a check-in done, a decision recorded in chat, the review reminder,
January's pack received as a file whose text holds the notes and the decision, the decision
settled, and February's pack carrying it with its outcome. Without `allow_case_notes` the pack
and decisions are refused like notes."""

from __future__ import annotations

from datetime import timedelta

from bot.checkins.dispatcher import CheckinDispatcher
from bot.clock import FakeClock
from tests.checkins.conftest import at_paris
from tests.e2e.course_steps import tagged_note
from tests.e2e.test_telegram_relais import MENTOR, Restart, _enrolled, stack

__all__ = ["stack"]  # the fixture, shared with test_telegram_relais


async def test_decision_pack_and_the_next_months_pack_over_telegram(
    stack: Restart, clock: FakeClock
) -> None:
    s = await _enrolled(stack, allow_case_notes=True)  # Mina, mentor, owns K-9 (5 Jan 2026)
    dispatcher = CheckinDispatcher(
        s.relais.db, clock, s.config.checkins, {"telegram": s.channel}, process_id="e2e"
    )
    # a check-in, done from the reminder's button
    scheduled = await s.say(MENTOR, "/checkin K-9 in 30m")
    assert "K-9" in scheduled.text
    clock.advance(timedelta(minutes=30))
    await dispatcher.tick()
    reminder = await s.fake.next_message(MENTOR, timeout=10)
    assert reminder.text == "Check-in due: case K-9"
    done = await s.click(reminder, "Done")
    assert done.text == "Check-in recorded for case K-9."
    # notes of every tag: two through the guided /note, the others as quick notes tagged later
    await tagged_note(s, MENTOR, "K-9", "Found a training course", "progress")
    await tagged_note(s, MENTOR, "K-9", "Drank again after the hearing", "relapse")
    await tagged_note(s, MENTOR, "K-9", "Anniversary of his brother's death", "trigger")
    await tagged_note(s, MENTOR, "K-9", "Talks of his old friends again", "concern")
    recorded = await s.say(MENTOR, "/decision K-9 Ask the housing office for a flat")
    assert recorded.text == "Decision 1 recorded on case K-9. /decisions K-9 lists them all."
    listed = await s.say(MENTOR, "/decisions K-9")
    assert "1. Ask the housing office for a flat" in listed.text
    assert "open" in listed.text
    notes = await s.say(MENTOR, "/notes K-9")
    assert "#decision" in notes.text
    assert "Ask the housing office for a flat" in notes.text

    # 1 February, 10:00 in Paris: the monthly review check-in reminds the owner, code only
    clock.set(at_paris(2026, 2, 1, 10, 0))
    await dispatcher.tick()
    review = await s.fake.next_message(MENTOR, timeout=10)
    assert review.text.startswith("Monthly review of case K-9 is due.")
    assert "housing" not in review.text
    assert (await s.click(review, "Done")).text == "Check-in recorded for case K-9."

    pack = await s.say(MENTOR, "/review_pack K-9")  # default: last month, printable HTML
    assert pack.kind == "document"
    assert pack.file_name == "review-pack-K-9-2026-01.html"
    assert "Review pack of case K-9 for 2026-01" in pack.text
    html = pack.content.decode("utf-8")
    for text in (
        "Found a training course",
        "Drank again after the hearing",
        "Anniversary of his brother&#39;s death",
        "Talks of his old friends again",
        "Ask the housing office for a flat",
    ):
        assert text in html
    # the check-in: 1 due, 1 done, none missed or escalated
    assert "<tr><td>1</td><td>1</td><td>0</td><td>0</td></tr>" in html
    assert "No handover checklist for this case." in html

    settled = await s.say(MENTOR, "/decision K-9 done 1 A flat in Roubaix from March")
    assert settled.text == "Decision 1 on case K-9: done."

    clock.set(at_paris(2026, 3, 2, 9, 0))
    await dispatcher.tick()
    review = await s.fake.next_message(MENTOR, timeout=10)  # the March review, left for later
    assert review.text.startswith("Monthly review of case K-9 is due.")
    pack = await s.say(MENTOR, "/review-pack K-9 2026-02 md")
    assert pack.file_name == "review-pack-K-9-2026-02.md"
    md = pack.content.decode("utf-8")
    carried = md.split("### Decisions of earlier reviews, and what became of them")[1]
    carried = carried.split("### Decisions taken in this period")[0]
    assert "1. **Ask the housing office for a flat**" in carried
    assert "**done**" in carried
    assert "A flat in Roubaix from March" in carried
    assert "Monthly review pack: K-9, 2026-02" in md
    s.fake.assert_no_unread()


async def test_telegram_without_case_notes_refuses_the_pack_and_decisions(
    stack: Restart,
) -> None:
    s = await _enrolled(stack)  # allow_case_notes is off
    refused = await s.say(MENTOR, "/review_pack K-9 2026-01")
    assert refused.kind == "text"
    assert "Telegram is not end-to-end encrypted" in refused.text
    decision = await s.say(MENTOR, "/decision K-9 Ask the housing office")
    assert "not end-to-end encrypted" in decision.text
    listing = await s.say(MENTOR, "/decisions K-9")
    assert "not end-to-end encrypted" in listing.text
    actor = await s.relais.identify("telegram", str(MENTOR))
    assert actor is not None
    assert await s.relais.list_decisions(actor, "K-9") == []
    s.fake.assert_no_unread()
