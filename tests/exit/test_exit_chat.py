"""`/exit` and `/exit-report` through the chat layer (console channel, real database): resume,
revise, skip, the pre-filled contacts, numbers typed for buttons, and the refusals."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import Relais
from storage.models import ExitAnswerRow
from tests.chat.conftest import World, texts

ANSWERS = [
    "Low residual risk; isolation remains the main risk.",
    "Probation monthly; the exit programme weekly until June.",
    "Risk of return judged low by the team psychologist (SAPROF).",
]


async def _contacts(relais: Relais) -> None:
    await relais.import_contacts(
        {
            "contact": [
                {"key": "sos", "role": "emergency", "name": "Emergency services", "phone": "112"},
                {
                    "key": "lea",
                    "role": "exit_worker",
                    "name": "Léa Exit",
                    "phone": "+33 6 11 11 11 11",
                    "hours": "Mon-Fri 9-17",
                },
                {"key": "ccas", "role": "social_services", "name": "CCAS", "phone": "3939"},
            ]
        },
        team="Team A",
    )


async def test_owner_answers_leaves_and_resumes_where_they_stopped(world: World) -> None:
    cora = world.chat("cora")  # coordinator, owner of K-1
    replies = await cora.say("/exit K-1")
    assert "Exit report of case K-1: 0 of 6 elements answered" in replies[0].text
    assert replies[1].text.startswith("1/6 – Residual risk")
    assert "What a good answer contains:" in replies[1].text
    assert cora.buttons() == ["Skip for now", "All elements"]
    for number, answer in enumerate(ANSWERS, start=1):
        replies = await cora.say(answer)
        assert replies[0].text.endswith(f"({number} of 6 answered).")
    assert replies[1].text.startswith("4/6 – Self-evaluation plan")
    left = await cora.say("/cancel")
    assert "every answer you saved is kept" in texts(left)
    assert "I did not understand" in texts(await cora.say("Something typed after leaving"))
    again = await cora.say("/exit K-1")
    assert "3 of 6 elements answered" in again[0].text
    assert again[1].text.startswith("4/6 – Self-evaluation plan")


async def test_skip_then_revise_an_answer_from_the_list(world: World) -> None:
    cora = world.chat("cora")
    await cora.say("/exit K-1")
    await cora.say(ANSWERS[0])
    skipped = await cora.press("Skip for now")
    assert skipped[0].text.startswith("3/6 – Assessment of the risk of return")
    menu = await cora.press("All elements")
    assert "1 of 6 answered" in menu[0].text
    assert cora.buttons()[:2] == [
        "✓ 1. Residual risk",
        "2. Strategies of the services involved (to do)",
    ]
    revise = await cora.say("1")  # the console shows numbered buttons: a number presses one
    assert "Current answer (Cora" in revise[0].text
    assert ANSWERS[0] in revise[0].text
    assert cora.buttons() == ["Keep it", "All elements"]
    saved = await cora.say("Residual risk: moderate, revised after the review.")
    assert saved[0].text == "Saved: Residual risk (1 of 6 answered)."
    assert saved[1].text.startswith("2/6 – Strategies of the services involved")
    report = await world.relais.exit_report(
        await world.relais.identify("console", "user-cora"), "K-1"
    )
    answer = report.progress.answers["residual_risk"]
    assert (answer.text, answer.revision) == (
        "Residual risk: moderate, revised after the review.",
        2,
    )
    async with world.relais.db.transaction(world.clock.now()) as tx:
        rows = (await tx.conn.execute(select(ExitAnswerRow.answer_enc))).scalars().all()
    assert len(rows) == 1
    assert b"moderate" not in rows[0]  # encrypted at rest


async def test_where_to_get_help_is_prefilled_from_the_directory(world: World) -> None:
    await _contacts(world.relais)
    cora = world.chat("cora")
    await cora.say("/exit K-1")
    for element in range(5):
        replies = await cora.say(f"answer {element + 1}")
    help_prompt = replies[-1].text
    assert help_prompt.startswith("6/6 – Where to get help")
    assert "Case owner: Cora" in help_prompt
    assert "Exit worker: Léa Exit – +33 6 11 11 11 11 (Mon-Fri 9-17)" in help_prompt
    assert "Social services: CCAS – 3939" in help_prompt
    assert cora.buttons() == ["Use this list", "Skip for now", "All elements"]
    done = await cora.press("Use this list")
    assert done[0].text == "Saved: Where to get help (6 of 6 answered)."
    assert "All 6 elements of the exit report of case K-1 are answered" in done[1].text
    sent = await cora.say("/exit-report K-1")
    assert sent[0].attachment is not None
    name, data = sent[0].attachment
    assert name == "exit-report-K-1.md"
    document = data.decode()
    assert "Exit worker: Léa Exit – +33 6 11 11 11 11" in document
    assert "answer 5" in document
    assert "Incomplete" not in document


async def test_a_member_with_the_right_role_completes_a_mentor_is_refused(world: World) -> None:
    await world.relais.add_member("K-1", "Pia", role="psychologist")
    pia, alex = world.chat("pia"), world.chat("alex")  # psychologist, mentor: both members
    replies = await pia.say("/exit K-1")
    assert replies[1].text.startswith("1/6 – Residual risk")
    await pia.say("Psychologist's view of the residual risk.")
    refused = await alex.say("/exit K-1")
    assert texts(refused) == "You are not allowed to do that on this case."
    entries = await world.relais.audit_export("K-1")
    alex_actor = await world.relais.identify("console", "user-alex")
    assert alex_actor is not None
    denied = [e for e in entries if e.action == "exit.write" and e.outcome == "denied"]
    assert [e.actor_id for e in denied] == [alex_actor.practitioner_id]
    written = [e for e in entries if e.action == "exit.write" and e.outcome == "ok"]
    assert {"element": "residual_risk", "revision": 1} in [dict(e.detail) for e in written]
    assert all("residual" not in str(e.detail).replace("residual_risk", "") for e in entries)
    # the mentor on the case reads the report (exit.read), the report names who answered
    report = await alex.say("/exit-report K-1 html")
    assert report[0].attachment is not None
    name, data = report[0].attachment
    assert name == "exit-report-K-1.html"
    assert "Psychologist&#39;s view of the residual risk." in data.decode()
    assert "Answered by Pia" in data.decode()


async def test_a_closed_case_report_is_read_not_written(world: World) -> None:
    cora = world.chat("cora")
    await cora.say("/exit K-1")
    await cora.say(ANSWERS[0])
    await cora.say("/cancel")
    await cora.say("/exit K-1")
    await world.relais.close_case("K-1")  # closed while the report is open on her screen
    late = await cora.say("An answer typed after the closing")
    assert texts(late) == (
        "Case K-1 is closed: its exit report can be read (/exit-report K-1) but no longer written."
    )
    assert "I did not understand" in texts(await cora.say("more text"))  # the flow has ended
    refused = await cora.say("/exit K-1")
    assert "Case K-1 is closed: its exit report can be read (/exit-report K-1)" in texts(refused)
    report = await cora.say("/exit-report K-1")
    assert report[0].attachment is not None
    assert ANSWERS[0] in report[0].attachment[1].decode()


async def test_over_telegram_refused_unless_case_notes_are_allowed(world: World) -> None:
    tg = world.chat("cora", channel="telegram", encrypted=False)
    invite = await world.relais.create_invite(role="coordinator", name="Cora TG", team="Team A")
    await tg.say(f"/start {invite.code}")
    await world.relais.set_owner("K-2", "Cora TG")
    for command in ("/exit K-2", "/exit-report K-2"):
        refused = await tg.say(command)
        assert "Telegram is not end-to-end encrypted" in texts(refused)
        assert refused[0].attachment is None


async def test_usage_and_unknown_format(world: World) -> None:
    cora = world.chat("cora")
    assert "Send /exit CASE" in texts(await cora.say("/exit"))
    assert "Unknown format pdf" in texts(await cora.say("/exit-report K-1 pdf"))
    assert "No case K-404 among yours" in texts(await cora.say("/exit-report K-404"))
    await cora.say("/exit K-1")
    stale = await cora.send(button="x.zzzzzz.skip")
    assert "expired" in texts(stale)
    assert "1/6 – Residual risk" in texts(stale)  # where the report stands comes back


async def test_an_answer_written_meanwhile_is_not_overwritten_unless_chosen(
    world: World,
) -> None:
    await world.relais.add_member("K-1", "Pia", role="psychologist")
    cora, pia = world.chat("cora"), world.chat("pia")
    await cora.say("/exit K-1")
    await pia.say("/exit K-1")
    await pia.say("Pia's residual risk.")
    late = await cora.say("Cora's residual risk.")
    assert late[0].text.startswith("Pia answered this element meanwhile")
    assert cora.buttons() == ["Replace with mine", "Keep it", "All elements"]
    replaced = await cora.press("Replace with mine")
    assert replaced[0].text == "Saved: Residual risk (1 of 6 answered)."
    cora_actor = await world.relais.identify("console", "user-cora")
    answer = (await world.relais.exit_report(cora_actor, "K-1")).progress.answers["residual_risk"]
    assert (answer.text, answer.revision, answer.author_name) == (
        "Cora's residual risk.",
        2,
        "Cora",
    )
