"""Issue 16's one journey, end to end over Telegram with case notes allowed (the fake Bot API
server, python-telegram-bot's HTTP stack, the chat layer, the use cases, the check-in
dispatcher, SQLite), on a fake clock from January to April: one case created with a release
date; the handover check-ins remind its owner and the team ticks the continuity checklist; notes
of every tag; the release day escalates; January's review pack with a decision, settled and
carried into February's; the sharing record filters an export for an agency; the exit report
is written; the owner closes the case from chat with the post-exit follow-up, which reminds her
after the monthly review has stopped. Every document's content is read, not only its name."""

from __future__ import annotations

from datetime import date

from bot.checkins.dispatcher import CheckinDispatcher
from bot.clock import FakeClock
from tests.checkins.conftest import at_paris
from tests.e2e.course_steps import run_until, send, set_sharing_record, tagged_note
from tests.e2e.test_telegram_relais import COORDINATOR, MENTOR, Restart, Stack, stack

__all__ = ["stack"]  # the fixture, shared with test_telegram_relais

SOCIAL = 503
PSYCHOLOGIST = 504


async def _team(make: Restart) -> Stack:
    """Team T: Mina (mentor) owns K-9, released on 20 January; Sami (social worker) and Paula
    (psychologist) are on the case; Cora coordinates. 5 January 2026, 08:00 in Paris."""
    s = await make(allow_case_notes=True)
    s.clock.set(at_paris(2026, 1, 5, 8))
    await s.relais.ensure_team("Team T")
    for chat, role, name in (
        (MENTOR, "mentor", "Mina"),
        (COORDINATOR, "coordinator", "Cora"),
        (SOCIAL, "social_worker", "Sami"),
        (PSYCHOLOGIST, "psychologist", "Paula"),
    ):
        assert "Welcome" in (await s.say(chat, f"/start {await s.invite(role, name)}")).text
    # what `relais case create K-9 --owner Mina --release 2026-01-20` does
    await s.relais.create_case("K-9", owner="Mina", team="Team T")
    await s.relais.cli_set_release("K-9", date(2026, 1, 20))
    await s.relais.add_member("K-9", "Sami", role="social_worker")
    await s.relais.add_member("K-9", "Paula", role="psychologist")
    await s.relais.import_contacts(
        {
            "contact": [
                {"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"},
                {"key": "lea", "role": "exit_worker", "name": "Léa Exit", "phone": "0611111111"},
            ]
        },
        team="Team T",
    )
    return s


def _section(md: str, heading: str, until: str = "\n## ") -> str:
    return md.split(heading, 1)[1].split(until, 1)[0]


async def test_one_case_from_release_to_exit(stack: Restart, clock: FakeClock) -> None:
    s = await _team(stack)
    dispatcher = CheckinDispatcher(
        s.relais.db, clock, s.config.checkins, {"telegram": s.channel}, process_id="e2e"
    )

    async def reminded(month: int, day: int, hour: int) -> str:
        """The owner's reminder due then, answered with Done; its text."""
        await run_until(dispatcher, clock, at_paris(2026, month, day, hour))
        reminder = await s.fake.next_message(MENTOR, timeout=10)
        text = reminder.text  # as sent: pressing Done edits it to show the choice
        done = await s.click(reminder, "Done")
        assert done.text == "Check-in recorded for case K-9.", done.text
        return text

    async def tick(label: str) -> None:
        checklist = await s.say(SOCIAL, "/handover K-9")
        ticked = await s.click(checklist, f"[ ] {label}")
        assert ticked.text.startswith(f"Ticked: {label}."), ticked.text

    # -- 5 January: the plan made with the case; the team ticks; notes of every tag ---------
    plan = await s.say(MENTOR, "/handover K-9")
    assert plan.text.startswith("Handover of case K-9: release on 2026-01-20.")
    assert "Tue 06 Jan 09:00 – Prepare the release: go through the checklist" in plan.text
    assert "Thu 19 Feb 09:00 – Day 30 after release (planned)" in plan.text
    await tick("Housing")
    await tick("Treatment and medication continue outside")
    await tagged_note(s, MENTOR, "K-9", "Found a training course", "progress")
    await tagged_note(s, MENTOR, "K-9", "Drank again after the hearing", "relapse")
    await tagged_note(s, MENTOR, "K-9", "Anniversary of his brother's death", "trigger")
    await tagged_note(s, SOCIAL, "K-9", "Talks of his old friends again", "concern")
    await tagged_note(s, SOCIAL, "K-9", "Called the housing office with him", "contact")
    await tagged_note(s, MENTOR, "K-9", "Weekly meetings with the mentor", "decision")
    decided = await s.say(MENTOR, "/decision K-9 Ask the housing office for a flat")
    assert decided.text == "Decision 2 recorded on case K-9. /decisions K-9 lists them all."

    # -- the handover check-ins; the release day escalates, saying what it is ---------------
    assert await reminded(1, 6, 9) == (
        "Handover, case K-9: Prepare the release: go through the checklist "
        "(release on 2026-01-20).\nContinuity checklist: 4 of 6 items open. /handover K-9"
    )
    await run_until(dispatcher, clock, at_paris(2026, 1, 20, 9))
    release_day = await s.fake.next_message(MENTOR, timeout=10)
    assert "Still open on the continuity checklist:\n- First appointment" in release_day.text
    await run_until(dispatcher, clock, at_paris(2026, 1, 20, 11))
    escalation = await s.fake.next_message(COORDINATOR, timeout=10)
    assert escalation.text == (
        "Missed check-in (handover, Release day): case K-9 (due Tue 20 Jan 09:00), "
        "not acknowledged."
    )
    assert (await s.click(escalation, "Acknowledge")).text == "Acknowledged. Thank you."
    assert "4 of 6 items open" in await reminded(1, 21, 9)
    await tick("First appointment with a psychiatrist or doctor")
    assert "3 of 6 items open" in await reminded(1, 23, 9)
    assert "3 of 6 items open" in await reminded(1, 27, 9)

    # -- 1 February: the review; January's pack -------------------------------------------
    assert (await reminded(2, 1, 10)).startswith("Monthly review of case K-9 is due.")
    pack = await s.say(MENTOR, "/review_pack K-9 2026-01 md")
    assert pack.file_name == "review-pack-K-9-2026-01.md"
    january = pack.content.decode()
    notes = _section(january, "## Notes of the period, by tag")
    for heading, line in (
        ("### Progress (1)", "Mina: Found a training course"),
        ("### Relapse (1)", "Mina: Drank again after the hearing"),
        ("### Trigger (1)", "Mina: Anniversary of his brother's death"),
        ("### Concern (1)", "Sami: Talks of his old friends again"),
        ("### Contact (1)", "Sami: Called the housing office with him"),
    ):
        assert line in _section(notes, heading, "\n### "), heading
    decisions_noted = _section(notes, "### Decision (2)", "\n### ")
    assert "Mina: Ask the housing office for a flat" in decisions_noted
    checkins = _section(january, "## Check-ins")
    assert "| 5 | 5 | 0 | 1 |" in checkins
    assert (
        "- 2026-01-20 09:00: handover, Release day, **done** (escalated) — acknowledged by "
        "Cora, 2026-01-20 11:00"
    ) in checkins
    assert "- 2026-01-27 09:00: handover, Day 7 after release, **done**" in checkins
    handover = _section(january, "## Open handover items")
    open_items, ticked = handover.split("### Ticked in this period")
    assert "Release date: 2026-01-20" in open_items
    assert [line for line in open_items.splitlines() if line.startswith("- ")] == [
        "- The person responsible for the case outside is known",
        "- Probation obligations explained",
        "- Income",
    ]
    assert [line for line in ticked.splitlines() if line.startswith("- ")] == [
        "- Treatment and medication continue outside — Sami, 2026-01-05 08:00",
        "- First appointment with a psychiatrist or doctor — Sami, 2026-01-21 09:00",
        "- Housing — Sami, 2026-01-05 08:00",
    ]
    taken = _section(january, "### Decisions taken in this period", "\n### ")
    assert "2. **Ask the housing office for a flat**" in taken
    assert "1. **Weekly meetings with the mentor**" in taken
    assert taken.count("— **open**") == 2

    # -- February: the decision settled, the last item ticked; March's review, February's pack
    settled = await s.say(MENTOR, "/decision K-9 done 2 A flat in Roubaix from March")
    assert settled.text == "Decision 2 on case K-9: done."
    await tick("Income")
    assert "2 of 6 items open" in await reminded(2, 3, 9)
    assert "Day 30 after release" in await reminded(2, 19, 9)
    await tagged_note(s, MENTOR, "K-9", "Started the training course", "progress")
    assert (await reminded(3, 1, 10)).startswith("Monthly review of case K-9 is due.")
    february = (await s.say(MENTOR, "/review_pack K-9 2026-02 md")).content.decode()
    assert "Found a training course" not in february  # January's notes stay in January
    assert "Mina: Started the training course" in february
    assert "| 3 | 3 | 0 | 0 |" in february
    assert "- 2026-02-01 10:00: monthly review, **done**" in february
    handover = _section(february, "## Open handover items")
    assert "- Income" not in handover.split("### Ticked in this period")[0]
    assert "- Income — Sami, 2026-02-01 10:00" in handover
    carried = _section(february, "### Decisions of earlier reviews, and what became of them")
    carried = carried.split("### Decisions taken in this period")[0]
    assert "1. **Weekly meetings with the mentor**" in carried
    assert "2. **Ask the housing office for a flat**" in carried
    assert "**done** (settled 2026-02-01 10:00, by Mina)" in carried
    assert "Outcome: A flat in Roubaix from March" in carried

    # -- the sharing record, and the export it filters --------------------------------------
    await set_sharing_record(s, MENTOR, "K-9")
    export = await s.relais.export_case_for("K-9", "probation")
    assert sorted(n["body"] for n in export["notes"]) == [
        "Anniversary of his brother's death",
        "Ask the housing office for a flat",
        "Drank again after the hearing",
        "Found a training course",
        "Started the training course",
        "Weekly meetings with the mentor",
    ]
    assert export["left_out"]["notes_by_reason"] == {"health": 1, "practical": 1}
    assert "handover" not in export

    # -- 3 March: the exit report, then the owner closes the case from chat -----------------
    clock.set(at_paris(2026, 3, 3, 9))
    intro, _first = await send(s, MENTOR, "/exit K-9")
    assert "0 of 6 elements answered" in intro.text
    for answer in ANSWERS:
        saved, prompt = await send(s, MENTOR, answer)
        assert saved.text.startswith("Saved:"), saved.text
    assert "Exit worker: Léa Exit – 0611111111" in prompt.text
    await s.fake.click(prompt, "Use this list")
    saved, finished = await s.fake.next_messages(MENTOR, 2, timeout=10)
    assert "All 6 elements of the exit report of case K-9 are answered" in finished.text
    report = (await s.say(MENTOR, "/exit-report K-9")).content.decode()
    for answer in ANSWERS:
        assert answer in report
    assert "All the elements of the exit report are answered." in report
    after_export = await s.relais.export_case_for("K-9", "Probation")
    assert ANSWERS[0] not in str(after_export)
    assert "exit report" in after_export["left_out"]["sections"]

    assert (await s.say(SOCIAL, "/close K-9")).text == (
        "You are not allowed to do that on this case."
    )
    ask = await s.say(MENTOR, "/close K-9")
    assert ask.text.startswith("Close case K-9?")
    assert ask.labels == ["Close, with the follow-up", "Close, no follow-up", "Keep it open"]
    closed = await s.click(ask, "Close, with the follow-up")
    assert closed.text == (
        "Case K-9 is closed; 2 check-in(s) still to come ended. The post-exit follow-up will "
        "remind you:\n"
        "- Thu 02 Apr 10:00 – Post-exit follow-up, 1 month\n"
        "- Tue 02 Jun 10:00 – Post-exit follow-up, 3 months\n"
        "- Tue 01 Sep 10:00 – Post-exit follow-up, 6 months\n"
        "- Wed 03 Mar 10:00 – Post-exit follow-up, 12 months"
    )
    upcoming = await s.say(MENTOR, "/checkins")
    assert upcoming.text.count("• K-9") == 4  # the follow-up only: the monthly review ended
    assert "Tue 01 Apr" not in upcoming.text
    report = (await s.say(MENTOR, "/exit-report K-9")).content.decode()
    assert "Case status: closed" in report
    assert "Post-exit follow-up check-ins" in report
    async with s.relais.db.connect() as conn:
        trail = await s.relais.db.audit_log.for_case(conn, case_code="K-9")
        await conn.rollback()
    closings = [(e.action, e.outcome, e.detail) for e in trail if e.action == "case.close"]
    assert closings == [("case.close", "ok", {"follow_up": 4, "ended": 2})]

    # -- after the exit: no monthly review on 1 April, the follow-up on 2 April -------------
    await run_until(dispatcher, clock, at_paris(2026, 4, 1, 12))
    assert s.fake.unread(MENTOR) == []
    await run_until(dispatcher, clock, at_paris(2026, 4, 2, 10))
    follow_up = await s.fake.next_message(MENTOR, timeout=10)
    assert follow_up.text == (
        "Post-exit follow-up, 1 month, case K-9: how is the person doing since the exit? "
        "The exit report says where they can get help: /exit-report K-9"
    )
    assert (await s.click(follow_up, "Done")).text == "Check-in recorded for case K-9."
    s.fake.assert_no_unread()


ANSWERS = [
    "Residual risk low: isolation remains the main risk.",
    "Probation sees him monthly; the exit programme weekly until June.",
    "Risk of return judged low by the team psychologist.",
    "He keeps a weekly mood diary and calls Léa when two weeks go badly.",
    "Anger after family conflicts: he walks away and calls his brother.",
]


async def test_close_from_chat_asks_and_refuses(stack: Restart, clock: FakeClock) -> None:
    """`/close` over Telegram: only the owner is asked; a forged button from a member is refused
    by the use case and audited; "Keep it open" closes nothing; closing without the follow-up
    ends every check-in still to come; the follow-up can be added later, once. In French too."""
    s = await _team(stack)
    refused = await s.say(SOCIAL, "/close K-9")  # on the case, not its owner
    assert refused.text == "You are not allowed to do that on this case."
    assert refused.labels == []
    unknown = await s.say(COORDINATOR, "/close K-9")  # not on the case: as if it did not exist
    assert unknown.text == "No case K-9 among yours: check the code (/cases lists your cases)."
    usage = await s.say(MENTOR, "/close")
    assert usage.text.startswith("Usage: /close CASE")

    checklist = await s.say(SOCIAL, "/handover K-9")  # a message of Sami's to press on
    await s.fake.press(SOCIAL, checklist.message_id, "cl.K-9.n", check=False)
    forged = await s.fake.next_message(SOCIAL, timeout=10)
    assert forged.text == "You are not allowed to do that on this case."

    ask = await s.say(MENTOR, "/close K-9")
    assert (await s.click(ask, "Keep it open")).text == "Case K-9 stays open."
    ask = await s.say(MENTOR, "/close K-9")
    closed = await s.click(ask, "Close, no follow-up")
    # the seven handover check-ins and the monthly review
    assert closed.text == "Case K-9 is closed; 8 check-in(s) still to come ended."
    assert "K-9" not in (await s.say(MENTOR, "/checkins")).text
    handover = await s.relais.cli_handover("K-9")
    assert {step.status for step in handover.steps} == {"cancelled"}
    assert "closed" in (await s.say(MENTOR, "/note K-9 after closing")).text

    # the follow-up added afterwards (the steps still ahead, once), asked in French
    assert "français" in (await s.say(MENTOR, "/lang fr")).text.lower()
    ask = await s.say(MENTOR, "/close K-9")
    assert ask.text.startswith("Clôturer le dossier K-9 ?")
    assert ask.labels == ["Clôturer, avec le suivi", "Clôturer, sans suivi", "Le laisser ouvert"]
    added = await s.click(ask, "Clôturer, avec le suivi")
    assert added.text.startswith("Le dossier K-9 est clôturé ; 0 point(s) de suivi à venir")
    assert added.text.splitlines()[1:] == [
        "- mer. 04 févr. 10:00 – Suivi après la sortie, 1 mois",
        "- lun. 06 avr. 10:00 – Suivi après la sortie, 3 mois",
        "- lun. 06 juil. 10:00 – Suivi après la sortie, 6 mois",
        "- mar. 05 janv. 10:00 – Suivi après la sortie, 12 mois",
    ]
    upcoming = (await s.say(MENTOR, "/checkins")).text  # French names there too
    assert "• K-9 — mer. 04 févr. 10:00" in upcoming
    assert "• K-9 — mar. 05 janv. 10:00" in upcoming
    again = await s.click(await s.say(MENTOR, "/close K-9"), "Clôturer, avec le suivi")
    assert "a déjà son suivi après la sortie" in again.text

    async with s.relais.db.connect() as conn:
        trail = await s.relais.db.audit_log.for_case(conn, case_code="K-9")
        await conn.rollback()
    sami = await s.relais.identify("telegram", str(SOCIAL))
    assert sami is not None
    closings = [
        (e.outcome, e.actor_id == sami.practitioner_id, e.detail)
        for e in trail
        if e.action == "case.close"
    ]
    assert closings == [  # the refused "already" is not a closing: nothing written
        ("denied", True, {}),
        ("ok", False, {"follow_up": 0, "ended": 8}),
        ("ok", False, {"follow_up": 4, "ended": 0}),
    ]
    s.fake.assert_no_unread()
