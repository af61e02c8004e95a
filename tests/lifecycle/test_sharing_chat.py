"""Information sharing through the chat layer (console channel, bundled content): the owner sets
the record, a member sees it and opens the information-sharing guidance on the case with the
record shown first; the review date reminds the owner through the check-in machinery, and a
new review date withdraws that reminder; the checklist answers typed numbers (Matrix, console).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.service import ChatService
from bot.checkins.dispatcher import CheckinDispatcher
from bot.checkins.service import CheckinService
from bot.clock import FakeClock
from storage.recurrence import zone
from tests.chat.conftest import CONTENT, World, build_world, make_config, texts
from tests.checkins.conftest import RecordingChannel

PARIS = zone("Europe/Paris")


def paris(d: int, m: int = 1, h: int = 9) -> datetime:
    return datetime.combine(date(2026, m, d), time(h), PARIS).astimezone(UTC)


@dataclass
class Team:
    world: World
    console: RecordingChannel
    dispatcher: CheckinDispatcher

    async def run_until(self, when: datetime) -> None:
        clock = self.world.clock
        while (nxt := await self.dispatcher.next_wakeup()) is not None and nxt <= when:
            clock.set(max(nxt, clock.now()))
            await self.dispatcher.tick()
        clock.set(when)
        await self.dispatcher.tick()


@pytest.fixture
async def team(sqlite_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Team]:
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        world = await build_world(relais, config, clock, CONTENT)
        async with relais.db.transaction(clock.now()) as tx:
            # these tests follow the sharing review's reminders over months: the cases'
            # monthly review check-ins (bot.review, tested in tests/review) are stopped
            for link in await tx.reviews.open_cases():
                assert link.schedule_id is not None
                await tx.schedules.update(
                    schedule_id=link.schedule_id, now=tx.now, status="cancelled", next_due_at=None
                )
        checkins = CheckinService(relais, config, clock, on_work=lambda: None)
        chat = ChatService(
            relais,
            DialogRegistry.from_content(CONTENT),
            Catalog.load(CONTENT),
            clock,
            config,
            checkins=checkins,
        )
        world.service = chat
        for person in world.chats.values():
            person.service = chat
        console = RecordingChannel("console", clock)
        dispatcher = CheckinDispatcher(relais.db, clock, config.checkins, {"console": console})
        yield Team(world, console, dispatcher)


async def test_sharing_record_in_chat_and_before_the_guidance(team: Team) -> None:
    cora, alex = team.world.chat("cora"), team.world.chat("alex")
    none = await alex.say("/sharing K-1")
    assert none[0].text.startswith("Case K-1 has no information-sharing record yet.")
    usage = await cora.say("/sharing")
    assert "Categories: health, risk, progress, practical" in usage[0].text
    bad = await cora.say("/sharing K-1 allow Probation: risk, gossip")
    assert "No category gossip for Probation: the categories are health" in bad[0].text
    bad = await cora.say("/sharing K-1 review next week")
    assert "next is not a date: write it as YYYY-MM-DD" in bad[0].text
    for command in (
        "/sharing K-1 allow Probation: risk, progress",
        "/sharing K-1 allow Family: progress",
        "/sharing K-1 remove family",
        "/sharing K-1 signed 2026-01-02",
        "/sharing K-1 review 2026-01-10",
        "/sharing K-1 informed no",
    ):
        replies = await cora.say(command)
        assert replies[0].text.startswith("The sharing record of case K-1 is updated."), texts(
            replies
        )
    refused = await alex.say("/sharing K-1 informed yes")
    assert "not allowed" in texts(refused).lower()

    shown = await alex.say("/sharing K-1")
    assert shown[0].text.splitlines() == [
        "Information sharing, case K-1 (the disclosure form):",
        "- Probation: risk, progress",
        "Form signed on 2026-01-02.",
        "Review by 2026-01-10.",
        "The person was told how information is shared: no, not yet.",
        "Anything else (and any other agency) is not covered by the form: ask the case owner.",
    ]
    assert alex.buttons() == ["What may I share? (guidance)"]
    guidance = await alex.press("What may I share? (guidance)")
    assert guidance[0].text == shown[0].text  # the record first, then the guidance on K-1
    assert "Information sharing and disclosure\n\nWhat is happening?" in guidance[1].text
    assert "Sharing with another agency" in [b.label for b in guidance[1].buttons]

    # opened without a case (the list of dialogs): how to see a case's record
    await alex.say("/dialogs")
    opened = await alex.press("Information sharing and disclosure")
    assert opened[0].text == "To see what a case's disclosure form allows: /sharing CASE."
    assert "What is happening?" in opened[1].text

    # the review date comes: the owner is reminded (a check-in with the usual buttons)
    await team.run_until(paris(10, h=8))
    assert team.console.sent == []
    await team.run_until(paris(10))
    [reminder] = team.console.sent
    assert reminder.user_id == cora.user_id
    assert reminder.reply.text == (
        "The information-sharing record of case K-1 is due for review (review date "
        "2026-01-10). Go through it with the person, then set the next review date: "
        "/sharing K-1 review YYYY-MM-DD"
    )
    assert reminder.reply.buttons[0].label == "Done"
    team.console.sent.clear()
    due = await alex.say("/sharing K-1")
    assert "Review was due on 2026-01-10: go through it with the person" in due[0].text
    done = await cora.send(button=reminder.reply.buttons[0].token)
    assert "recorded" in done[0].text
    await cora.say("/sharing K-1 review 2026-07-01")
    await team.run_until(paris(24))  # a week (and two) later: no more reminders
    assert team.console.sent == []
    await team.run_until(paris(1, m=7, h=8))
    assert team.console.sent == []
    await team.run_until(paris(1, m=7))
    [again] = team.console.sent
    assert "review date 2026-07-01" in again.reply.text


async def test_checklist_answers_typed_numbers(team: Team) -> None:
    cora, alex = team.world.chat("cora"), team.world.chat("alex")
    await cora.say("/release K-1 2026-03-01")
    shown = await alex.say("/handover K-1")
    assert "Handover of case K-1: release on 2026-03-01." in shown[0].text
    assert alex.buttons()[4] == "[ ] Housing"
    ticked = await alex.say("5")  # on Matrix and the console, buttons are numbered
    assert ticked[0].text.startswith("Ticked: Housing.")
    assert "Continuity checklist (5 of 6 open):" in ticked[0].text
    assert alex.buttons()[4] == "[x] Housing"
    unticked = await alex.say("5")
    assert unticked[0].text.startswith("Unticked: Housing.")
    usage = await alex.say("/release K-1")
    assert usage[0].text.startswith("Usage: /release CASE YYYY-MM-DD")
    refused = await alex.say("/release K-1 2026-03-08")
    assert "not allowed" in texts(refused).lower()
    french = await cora.say("/lang fr")
    assert french
    fr = await cora.say("/handover K-1")
    assert "Passage de relais du dossier K-1 : sortie le 2026-03-01." in fr[0].text
    assert "[ ] Logement" in cora.buttons()
