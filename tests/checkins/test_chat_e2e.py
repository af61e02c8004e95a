"""Done when (issue 7): a coordinator sets a weekly check-in on a case from chat; the mentor is
reminded on time; ignoring it escalates to the owner, who acknowledges from chat. Through the
real chat layer (`ChatService`), the real use cases and the dispatcher, with a fake clock and a
recording channel that fails on any unexpected message."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.service import ChatService
from bot.checkins.dispatcher import CheckinDispatcher
from bot.checkins.service import CheckinService
from bot.clock import FakeClock
from storage.models import NoteRow
from tests.chat.conftest import CONTENT, DATA, build_world, make_config
from tests.checkins.conftest import RecordingChannel, at_paris


async def test_weekly_checkin_from_chat_reminds_then_escalates(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DATA, content)
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    clock.set(at_paris(2026, 1, 4, 18, 0))  # Sunday evening
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        world = await build_world(relais, config, clock, content)
        checkins = CheckinService(relais, config, clock, on_work=lambda: None)
        chat = ChatService(
            relais,
            DialogRegistry.from_content(content),
            Catalog.load(CONTENT),
            clock,
            config,
            checkins=checkins,
        )
        for person in world.chats.values():
            person.service = chat
        console = RecordingChannel("console", clock)
        dispatcher = CheckinDispatcher(relais.db, clock, config.checkins, {"console": console})

        async def run_until(when: datetime) -> None:
            while (nxt := await dispatcher.next_wakeup()) is not None and nxt <= when:
                clock.set(max(nxt, clock.now()))
                await dispatcher.tick()
            clock.set(when)
            await dispatcher.tick()

        cora, alex = world.chat("cora"), world.chat("alex")
        replies = await cora.say("/checkin K-1 weekly MO 09:00 Alex")
        assert "Check-in scheduled on case K-1" in replies[0].text, replies
        assert "Next: Mon 05 Jan 09:00" in replies[0].text

        await run_until(at_paris(2026, 1, 5, 8, 59))
        assert console.sent == []
        await run_until(at_paris(2026, 1, 5, 9, 0))
        [reminder] = console.sent
        assert reminder.user_id == alex.user_id
        assert reminder.reply.text == "Check-in due: case K-1"
        assert reminder.at == at_paris(2026, 1, 5, 9, 0)
        console.sent.clear()

        await run_until(at_paris(2026, 1, 5, 10, 59))  # the mentor ignores it
        assert console.sent == []
        await run_until(at_paris(2026, 1, 5, 11, 0))
        [escalation] = console.sent
        assert escalation.user_id == cora.user_id
        assert escalation.reply.text.startswith("Missed check-in: case K-1")
        console.sent.clear()

        ack = escalation.reply.buttons[0].token
        replies = await cora.send(button=ack)
        assert "Acknowledged" in replies[0].text, replies
        await run_until(at_paris(2026, 1, 5, 23, 0))
        assert console.sent == []  # acknowledged: nobody else is told

        # the mentor, late, still closes the check-in from the reminder's Done button
        replies = await alex.send(button=reminder.reply.buttons[0].token)
        assert "already" in replies[0].text


async def test_done_then_note_files_the_note_with_origin_checkin(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """Issue 15: "Done" then "Add a note" on a reminder files the typed note as a check-in's
    note (origin "checkin", tag "contact"), not as a note typed with /note (origin "chat")."""
    content = tmp_path / "content"
    shutil.copytree(DATA, content)
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    clock.set(at_paris(2026, 1, 4, 18, 0))
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        world = await build_world(relais, config, clock, content)
        checkins = CheckinService(relais, config, clock, on_work=lambda: None)
        chat = ChatService(
            relais,
            DialogRegistry.from_content(content),
            Catalog.load(CONTENT),
            clock,
            config,
            checkins=checkins,
        )
        for person in world.chats.values():
            person.service = chat
        console = RecordingChannel("console", clock)
        dispatcher = CheckinDispatcher(relais.db, clock, config.checkins, {"console": console})
        cora, alex = world.chat("cora"), world.chat("alex")
        await cora.say("/checkin K-1 weekly MO 09:00 Alex")
        clock.set(at_paris(2026, 1, 5, 9, 0))
        await dispatcher.tick()
        [reminder] = console.sent
        done = await alex.send(button=reminder.reply.buttons[0].token)
        assert "recorded" in done[0].text, done
        prompt = await alex.send(button=done[0].buttons[0].token)
        assert "K-1" in prompt[0].text, prompt
        logged = await alex.say("Spoke with him, all well.")
        assert "K-1" in logged[-1].text, logged
        async with relais.db.connect() as conn:
            rows = (await conn.execute(select(NoteRow.origin, NoteRow.tags))).all()
            await conn.rollback()
        assert [(origin, tags) for origin, tags in rows] == [("checkin", ",contact,")]


async def test_cant_reach_from_chat_tells_the_owner_and_opens_the_guidance(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    """Issue 15: "Can't reach the person" on a reminder, pressed in chat: the use case answers
    with data, the chat layer shows it and opens the guidance on the case in the same session
    (no command travels in the reply any more), and the owner is alerted."""
    content = tmp_path / "content"
    shutil.copytree(DATA, content)
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    clock.set(at_paris(2026, 1, 4, 18, 0))
    config = make_config(sqlite_url, tmp_path)
    async with await Relais.open(config, clock) as relais:
        world = await build_world(relais, config, clock, content)
        checkins = CheckinService(relais, config, clock, on_work=lambda: None)
        chat = ChatService(
            relais,
            DialogRegistry.from_content(CONTENT),  # the bundled guidance: who_to_contact
            Catalog.load(CONTENT),
            clock,
            config,
            checkins=checkins,
        )
        for person in world.chats.values():
            person.service = chat
        console = RecordingChannel("console", clock)
        dispatcher = CheckinDispatcher(relais.db, clock, config.checkins, {"console": console})
        cora, alex = world.chat("cora"), world.chat("alex")
        await cora.say("/checkin K-1 weekly MO 09:00 Alex")
        clock.set(at_paris(2026, 1, 5, 9, 0))
        await dispatcher.tick()
        [reminder] = console.sent
        console.sent.clear()
        cant = next(b.token for b in reminder.reply.buttons if b.token.endswith(".cant"))
        replies = await alex.send(button=cant)
        assert replies[0].text.startswith("The case owner has been told"), replies
        assert "How urgent is it?" in replies[1].text, replies  # the guidance, running
        assert [b.label for b in replies[1].buttons], replies
        await dispatcher.tick()
        [alert] = console.sent
        assert alert.user_id == cora.user_id
        assert alert.reply.text == "Case K-1: the practitioner could not reach the person."
