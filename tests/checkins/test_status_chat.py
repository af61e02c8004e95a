"""`/status` in chat (issue 17), through the real chat layer, use cases and dispatcher: a
coordinator sees channel health, the team's failed deliveries and the pages waiting for an
acknowledgement; a mentor may not; French too."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from bot.app import Relais
from bot.chat.catalog import Catalog
from bot.chat.dialog_registry import DialogRegistry
from bot.chat.service import ChatService
from bot.checkins.dispatcher import CheckinDispatcher
from bot.checkins.service import CheckinService
from bot.clock import FakeClock
from tests.chat.conftest import CONTENT, DATA, build_world, make_config
from tests.checkins.conftest import RecordingChannel, at_paris


async def test_status_shows_channels_failed_deliveries_and_waiting_pages(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DATA, content)
    shutil.copy(CONTENT / "contact_roles.yaml", content / "contact_roles.yaml")
    shutil.copytree(CONTENT / "catalog", content / "catalog")
    clock.set(at_paris(2026, 1, 4, 18, 0))
    config = make_config(sqlite_url, tmp_path, enabled=True)  # Telegram enabled
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
        [reply] = await cora.say("/status")
        assert "Chat channels: telegram NOT WORKING" in reply.text  # not started
        assert "No failed delivery in the last 24 hours." in reply.text
        assert "No page is waiting for an acknowledgement." in reply.text

        await cora.say("/checkin K-1 weekly MO 09:00 Alex")
        console.failing.add(alex.user_id)  # Alex's chat keeps failing
        await run_until(at_paris(2026, 1, 5, 9, 0))
        actor = await relais.identify("console", alex.user_id)
        assert actor is not None
        await checkins.page_contact(actor, "on_call_psychologist", "K-1")  # nobody answers it
        await run_until(at_paris(2026, 1, 5, 9, 1))
        [fallback_alert] = [s for s in console.sent if s.user_id == cora.user_id]
        assert "fallback contact has no chat account" in fallback_alert.reply.text

        checkins.dispatcher = dispatcher
        dispatcher.channels["telegram"] = RecordingChannel("telegram", clock)
        [reply] = await cora.say("/status")
        assert "Chat channels: telegram working" in reply.text
        assert "Failed deliveries in the last 24 hours (2):" in reply.text
        assert "check-in reminder to Alex, case K-1: retrying" in reply.text
        assert "Pages waiting for an acknowledgement (1):" in reply.text
        assert "Mon 05 Jan 09:00 case K-1, asked by Alex" in reply.text

        [refused] = await alex.say("/status")
        assert "Your role does not allow that" in refused.text
        assert "/status" in (await cora.say("/help"))[-1].text
        assert all("/status" not in r.text for r in await alex.say("/help"))

        await cora.say("/lang fr")
        [reply] = await cora.say("/status")
        assert "rappel de point de suivi pour Alex, dossier K-1 : nouvel essai prévu" in (
            reply.text
        )
        assert "Appels d'astreinte en attente de confirmation (1) :" in reply.text
