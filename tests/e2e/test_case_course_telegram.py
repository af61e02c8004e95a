"""Issue 16 end to end over Telegram (the fake Bot API server, PTB's HTTP stack, the chat layer,
the use cases, the dispatcher, SQLite), notes allowed on Telegram: the owner sets a case's
release date from chat, the handover check-ins are planned, the team ticks the continuity
checklist with its buttons, the release-day reminder lists what is still open and escalates
when ignored; the owner sets the sharing record from chat, and the export for an agency keeps
only what the record allows it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.checkins.dispatcher import CheckinDispatcher
from tests.e2e.course_steps import run_until as run_dispatcher_until
from tests.e2e.course_steps import set_sharing_record
from tests.e2e.test_telegram_relais import COORDINATOR, MENTOR, Restart, Stack
from tests.e2e.test_telegram_relais import stack as stack  # the fixture

PARIS = ZoneInfo("Europe/Paris")
SOCIAL = 503


def _at(day: int, month: int = 1, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=PARIS)


async def _team(make: Restart) -> Stack:
    s = await make(allow_case_notes=True)
    s.clock.set(_at(5, hour=8))
    await s.relais.ensure_team("Team T")
    for chat, role, name in (
        (COORDINATOR, "coordinator", "Cora"),
        (MENTOR, "mentor", "Mina"),
        (SOCIAL, "social_worker", "Sami"),
    ):
        code = await s.invite(role, name)
        assert "Welcome" in (await s.say(chat, f"/start {code}")).text
    await s.relais.create_case("K-9", owner="Mina", team="Team T")
    await s.relais.add_member("K-9", "Sami", role="social_worker")
    return s


async def test_release_handover_and_sharing_over_telegram(stack: Restart) -> None:
    s = await _team(stack)
    dispatcher = CheckinDispatcher(
        s.relais.db, s.clock, s.config.checkins, {"telegram": s.channel}
    )

    async def run_until(when: datetime) -> None:
        await run_dispatcher_until(dispatcher, s.clock, when)

    # the owner sets the release date from chat: the plan is set on the check-in machinery
    await s.fake.user_says(MENTOR, "/release K-9 2026-01-20")
    said, shown = await s.fake.next_messages(MENTOR, 2, timeout=10)
    assert (
        said.text == "Release of case K-9 set to 2026-01-20: the handover check-ins are planned."
    )
    assert shown.text.startswith("Handover of case K-9: release on 2026-01-20.")
    assert (
        "Tue 06 Jan 09:00 – Prepare the release: go through the checklist (planned)" in shown.text
    )
    assert "Tue 20 Jan 09:00 – Release day (planned)" in shown.text
    assert "Thu 19 Feb 09:00 – Day 30 after release (planned)" in shown.text
    assert "Continuity checklist (6 of 6 open):" in shown.text
    assert shown.labels == [
        "[ ] Treatment and medication continue outside",
        "[ ] First appointment with a psychiatrist or doctor",
        "[ ] The person responsible for the case outside is known",
        "[ ] Probation obligations explained",
        "[ ] Housing",
        "[ ] Income",
    ]
    plan = await s.relais.cli_handover("K-9")
    assert [(p.step_id, p.status) for p in plan.steps][:2] == [
        ("prepare", "pending"),
        ("release_day", "pending"),
    ]
    assert len(plan.steps) == 7

    # a member refuses nothing the policy allows: Sami (on the case) ticks with the buttons
    sami_view = await s.say(SOCIAL, "/handover K-9")
    assert "Continuity checklist (6 of 6 open):" in sami_view.text
    ticked = await s.click(sami_view, "[ ] Housing")
    assert ticked.text.startswith("Ticked: Housing.")
    assert "Continuity checklist (5 of 6 open):" in ticked.text
    assert "[x] Housing" in ticked.labels
    ticked = await s.click(ticked, "[ ] Treatment and medication continue outside")
    assert "Continuity checklist (4 of 6 open):" in ticked.text
    unticked = await s.click(ticked, "[x] Housing")
    assert unticked.text.startswith("Unticked: Housing.")
    ticked = await s.click(unticked, "[ ] Housing")
    assert "Continuity checklist (4 of 6 open):" in ticked.text
    # the coordinator not on the case may see it but not tick (policy: handover.tick); the
    # refusal of someone not on the case reads like a case that does not exist
    cora_view = await s.say(COORDINATOR, "/handover K-9")
    refused = await s.click(cora_view, "[ ] Income")
    assert refused.text == "No case K-9 among yours: check the code (/cases lists your cases)."
    async with s.relais.db.connect() as conn:
        trail = await s.relais.db.audit_log.for_case(conn, case_code="K-9")
        await conn.rollback()
    ticks = [(e.outcome, e.detail) for e in trail if e.action == "handover.tick"]
    assert ticks == [
        ("ok", {"item": "housing", "done": True}),
        ("ok", {"item": "treatment", "done": True}),
        ("ok", {"item": "housing", "done": False}),
        ("ok", {"item": "housing", "done": True}),
        ("denied", {}),
    ]

    # the prepare check-in reminds the owner, on time, with the checklist's count
    await run_until(_at(6, hour=8))
    assert s.fake.unread(MENTOR) == []
    await run_until(_at(6))
    prepare = await s.fake.next_message(MENTOR, timeout=10)
    assert prepare.text == (
        "Handover, case K-9: Prepare the release: go through the checklist "
        "(release on 2026-01-20).\nContinuity checklist: 4 of 6 items open. /handover K-9"
    )
    done = await s.click(prepare, "Done")
    assert "recorded" in done.text

    # release day: the items still open go to the owner; ignored, the check-in escalates
    await run_until(_at(20))
    release_day = await s.fake.next_message(MENTOR, timeout=10)
    assert release_day.text == (
        "Handover, case K-9: Release day (release on 2026-01-20).\n"
        "Still open on the continuity checklist:\n"
        "- First appointment with a psychiatrist or doctor\n"
        "- The person responsible for the case outside is known\n"
        "- Probation obligations explained\n"
        "- Income\n"
        "Tick them with /handover K-9."
    )
    for name in ("Mina", "Sami", "Cora"):
        assert name not in release_day.text
    await run_until(_at(20, hour=11))
    escalation = await s.fake.next_message(COORDINATOR, timeout=10)
    assert escalation.text.startswith("Missed check-in (handover, Release day): case K-9")
    assert "Income" not in escalation.text
    acknowledged = await s.click(escalation, escalation.labels[0])
    assert "Acknowledged" in acknowledged.text

    # notes of each tag, then the sharing record set by the owner from chat
    assert "K-9" in (await s.say(MENTOR, "/note K-9")).text
    tags = await s.say(MENTOR, "Kept every appointment this week.")
    assert "K-9" in (await s.click(tags, "progress")).text
    mina = await s.relais.identify("telegram", str(MENTOR))
    assert mina is not None
    for body, tag in (
        ("Anniversary of his brother's death next week.", "trigger"),
        ("Seemed low, talks of not sleeping.", "concern"),
        ("Called the housing office with him.", "contact"),
        ("Team agreed to weekly meetings.", "decision"),
    ):
        await s.relais.log_note(mina, "K-9", body, (tag,), "chat")
    assert "K-9" in (await s.say(MENTOR, "/note K-9 Untagged remark about the family.")).text
    await set_sharing_record(s, MENTOR, "K-9")
    record = await s.say(SOCIAL, "/sharing K-9")
    assert record.text.splitlines() == [
        "Information sharing, case K-9 (the disclosure form):",
        "- Probation: risk, progress",
        "- Housing office: practical",
        "Form signed on 2026-01-02 by J. Martin.",
        "Review by 2026-07-01.",
        "The person was told how information is shared: yes.",
        "Anything else (and any other agency) is not covered by the form: ask the case owner.",
    ]
    refused_set = await s.say(SOCIAL, "/sharing K-9 allow Family: progress")
    assert "not allowed" in refused_set.text.lower(), refused_set.text

    export = await s.relais.export_case_for("K-9", "probation")
    assert export["for"] == "Probation"
    assert export["allowed_categories"] == ["risk", "progress"]
    assert sorted(n["body"] for n in export["notes"]) == [
        "Anniversary of his brother's death next week.",
        "Kept every appointment this week.",
        "Team agreed to weekly meetings.",
    ]
    assert export["left_out"]["categories"] == ["health", "practical"]
    assert export["left_out"]["notes"] == 3
    assert export["left_out"]["notes_by_reason"] == {"health": 1, "practical": 1, "untagged": 1}
    assert "handover" not in export
    assert "members" not in export
    assert "audit" not in export
    housing = await s.relais.export_case_for("K-9", "Housing Office")
    assert [n["body"] for n in housing["notes"]] == ["Called the housing office with him."]
    assert housing["handover"]["open_items"] == [
        "first_appointment",
        "responsible_outside",
        "probation",
        "income",
    ]
    s.fake.assert_no_unread()


async def test_sharing_record_stays_off_telegram_without_case_notes(stack: Restart) -> None:
    """The record names agencies and who signed: without `allow_case_notes` it is neither shown
    nor changed over Telegram; the handover checklist (dates, generic labels) is."""
    s = await stack()
    await s.relais.ensure_team("Team T")
    code = await s.invite("mentor", "Mina")
    assert "Welcome" in (await s.say(MENTOR, f"/start {code}")).text
    await s.relais.create_case("K-9", owner="Mina", team="Team T")
    for command in ("/sharing K-9", "/sharing K-9 allow Probation: risk"):
        refused = await s.say(MENTOR, command)
        assert refused.text.startswith("The sharing record names agencies and who signed")
    view = await s.relais.cli_sharing("K-9")
    assert view.record is None  # nothing was changed
    shown = await s.say(MENTOR, "/handover K-9")
    assert shown.text.startswith("Handover of case K-9: no release date yet")
    s.fake.assert_no_unread()
