"""The structured exit end to end over Telegram (the fake Bot API server, python-telegram-bot's
HTTP stack, the chat layer, SQLite), with case notes allowed: the owner writes three elements,
leaves, comes back at the fourth; a psychologist on the case writes one; the owner finishes
with the contacts from the directory; /exit-report sends the document; a mentor may not write
(refused and audited); closing the case with the post-exit follow-up reminds the owner a month
later although the case is closed. The answers are not in the database in plaintext."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.checkins.dispatcher import CheckinDispatcher
from bot.checkins.operator import CheckinOperator
from bot.clock import FakeClock
from storage.models import ExitAnswerRow
from tests.e2e.course_steps import run_until, send
from tests.e2e.test_telegram_relais import MENTOR, Restart, Stack, _enrolled, stack

__all__ = ["stack"]  # the fixture, shared with test_telegram_relais

PSYCHOLOGIST = 503
OTHER_MENTOR = 504
ANSWERS = [
    "Residual risk low: isolation remains the main risk.",
    "Probation sees him monthly; the exit programme weekly until June.",
    "Risk of return judged low by the team psychologist.",
]
SELF_EVALUATION = "He keeps a weekly mood diary and calls Léa when two weeks go badly."
CONCERNS = "Anger after family conflicts: he walks away and calls his brother."


async def _team(make: Restart) -> Stack:
    s = await _enrolled(make, allow_case_notes=True)  # Mina, a mentor, owns K-9
    for chat, role, name in (
        (PSYCHOLOGIST, "psychologist", "Paula"),
        (OTHER_MENTOR, "mentor", "Theo"),
    ):
        await s.say(chat, f"/start {await s.invite(role, name)}")
        await s.relais.add_member("K-9", name, role=role)
    await s.relais.import_contacts(
        {
            "contact": [
                {"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"},
                {"key": "lea", "role": "exit_worker", "name": "Léa Exit", "phone": "0611111111"},
                {"key": "ccas", "role": "social_services", "name": "CCAS", "phone": "3939"},
            ]
        },
        team="Team T",
    )
    return s


async def test_the_exit_report_from_first_answer_to_the_follow_up(
    stack: Restart, clock: FakeClock
) -> None:
    s = await _team(stack)
    intro, first = await send(s, MENTOR, "/exit K-9")
    assert "0 of 6 elements answered" in intro.text
    assert first.text.startswith("1/6 – Residual risk")
    assert first.labels == ["Skip for now", "All elements"]
    for answer in ANSWERS:
        saved, prompt = await send(s, MENTOR, answer)
        assert saved.text.startswith("Saved:")
    assert prompt.text.startswith("4/6 – Self-evaluation plan")
    left = await s.say(MENTOR, "/cancel")
    assert "every answer you saved is kept" in left.text

    intro, resumed = await send(s, MENTOR, "/exit K-9")
    assert "3 of 6 elements answered" in intro.text
    assert resumed.text.startswith("4/6 – Self-evaluation plan")

    # a psychologist on the case completes the fourth element
    intro, fourth = await send(s, PSYCHOLOGIST, "/exit K-9")
    assert fourth.text.startswith("4/6 – Self-evaluation plan")
    saved, fifth = await send(s, PSYCHOLOGIST, SELF_EVALUATION)
    assert saved.text == "Saved: Self-evaluation plan (4 of 6 answered)."
    await s.say(PSYCHOLOGIST, "/cancel")

    # the owner's screen still shows the fourth as unanswered: what she types there now is
    # not written over the psychologist's answer; it is kept, and she chooses
    late = await s.say(MENTOR, "Her own self-evaluation plan")
    assert late.text.startswith("Paula answered this element meanwhile")
    assert SELF_EVALUATION in late.text
    assert late.labels == ["Replace with mine", "Keep it", "All elements"]
    fifth = await s.click(late, "Keep it")
    assert fifth.text.startswith("5/6 – Concerning behaviours and self-management strategies")
    saved, help_screen = await send(s, MENTOR, CONCERNS)
    assert help_screen.text.startswith("6/6 – Where to get help")
    assert "Exit worker: Léa Exit – 0611111111" in help_screen.text
    assert help_screen.labels == ["Use this list", "Skip for now", "All elements"]
    await s.fake.click(help_screen, "Use this list")
    saved, done = await s.fake.next_messages(MENTOR, 2, timeout=10)
    assert saved.text == "Saved: Where to get help (6 of 6 answered)."
    assert "All 6 elements of the exit report of case K-9 are answered" in done.text

    document = await s.say(MENTOR, "/exit-report K-9")
    assert document.kind == "document"
    assert document.file_name == "exit-report-K-9.md"
    assert document.text == "Exit report of case K-9: 6 of 6 elements answered."
    report = document.content.decode()
    for answer in [*ANSWERS, SELF_EVALUATION, CONCERNS]:
        assert answer in report
    assert "Her own self-evaluation plan" not in report
    assert "Answered by Paula" in report
    assert "Case owner: Mina" in report
    assert "Exit worker: Léa Exit – 0611111111" in report
    assert "Social services: CCAS – 3939" in report
    assert "Incomplete" not in report

    # a mentor on the case may not write it: refused, and the refusal is audited
    refused = await s.say(OTHER_MENTOR, "/exit K-9")
    assert refused.text == "You are not allowed to do that on this case."
    theo = await s.relais.identify("telegram", str(OTHER_MENTOR))
    assert theo is not None
    denied = [
        e
        for e in await s.relais.audit_export("K-9")
        if e.action == "exit.write" and e.outcome == "denied"
    ]
    assert [e.actor_id for e in denied] == [theo.practitioner_id]

    # not in plaintext in the database
    async with s.relais.db.transaction(clock.now()) as tx:
        stored = (await tx.conn.execute(select(ExitAnswerRow.answer_enc))).scalars().all()
    assert len(stored) == 6
    assert not [blob for blob in stored if b"Probation" in blob or b"diary" in blob]

    # closing the case with the post-exit follow-up: the owner is reminded a month later
    operator = CheckinOperator(s.relais, s.config, clock)
    case, made = await operator.close_with_follow_up("K-9")
    assert case.status == "closed"
    assert len(made) == 4
    refused_note = await s.say(MENTOR, "/note K-9 after the exit")
    assert "closed" in refused_note.text  # a closed case takes no note (as before)
    dispatcher = CheckinDispatcher(s.relais.db, clock, s.config.checkins, {"telegram": s.channel})
    await run_until(dispatcher, clock, made[0].due_at - timedelta(minutes=1))
    s.fake.assert_no_unread()
    await run_until(dispatcher, clock, made[0].due_at)
    reminder = await s.fake.next_message(MENTOR, timeout=10)
    assert reminder.text.startswith("Post-exit follow-up, 1 month, case K-9:")
    report_after = (await s.say(MENTOR, "/exit-report K-9")).content.decode()
    assert "Post-exit follow-up check-ins" in report_after
