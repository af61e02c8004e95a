"""Relais end to end over Telegram: the fake Bot API server, python-telegram-bot's real HTTP
stack, the chat layer, the engine and the database (SQLite)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.app import Relais
from bot.channels.telegram import TelegramChannel
from bot.chat.catalog import LANGUAGES
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.runtime import Runtime, open_runtime
from tests.fakes.telegram_server import BotMessage, FakeBotApi
from tests.telegram.conftest import FAST_LIMITS

os.environ.setdefault("PTB_TIMEDELTA", "true")

MENTOR = 501
COORDINATOR = 502
STRANGER = 666


@dataclass
class Stack:
    fake: FakeBotApi
    config: Config
    clock: FakeClock
    runtime: Runtime
    channel: TelegramChannel

    @property
    def relais(self) -> Relais:
        return self.runtime.relais

    async def invite(self, role: str, name: str) -> str:
        return (await self.relais.create_invite(role=role, name=name, team="Team T")).code

    async def say(self, chat: int, text: str) -> BotMessage:
        await self.fake.user_says(chat, text)
        return await self.fake.next_message(chat, timeout=10)

    async def click(self, message: BotMessage, label: str) -> BotMessage:
        ref = await self.fake.click(message, label)
        await self.fake.wait_answered(ref.callback_query_id or "", timeout=10)
        return await self.fake.next_message(message.chat_id, timeout=10)


Restart = Callable[..., Awaitable[Stack]]


@pytest.fixture
async def stack(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[Restart]:
    """`await make(**telegram_overrides)` builds (or rebuilds, for a restart) the whole stack on
    the same database and fake server."""
    stacks: list[Stack] = []
    async with FakeBotApi() as fake:

        async def make(**overrides: object) -> Stack:
            if stacks:
                await _close(stacks[-1])
            config = Config(
                data_dir=str(tmp_path / "data"),
                content_dir=str(chat_content),
                storage=StorageConfig(url=sqlite_url),
                telegram=fake.config(poll_timeout=1, **overrides),
            )
            runtime = await open_runtime(config, clock)
            channel = TelegramChannel(
                config.telegram,
                fake.token,
                limits=FAST_LIMITS,
                commands={lang: runtime.catalog.commands(lang) for lang in LANGUAGES},
            )
            await channel.start(runtime.chat.handle)
            stacks.append(Stack(fake, config, clock, runtime, channel))
            return stacks[-1]

        yield make
        if stacks:
            await _close(stacks[-1])


async def _close(stack: Stack) -> None:
    await stack.channel.stop()
    await stack.runtime.close()


async def _enrolled(make: Restart, **overrides: object) -> Stack:
    s = await make(**overrides)
    await s.relais.ensure_team("Team T")
    code = await s.invite("mentor", "Mina")
    welcome = await s.say(MENTOR, f"/start {code}")
    assert "Welcome, Mina" in welcome.text
    await s.relais.create_case("K-9", owner="Mina", team="Team T")
    await s.relais.import_contacts(
        {"contact": [{"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"}]},
        team="Team T",
    )
    return s


async def test_unknown_user_is_refused_with_one_neutral_reply(stack: Restart) -> None:
    s = await stack()
    reply = await s.say(STRANGER, "/sos")
    assert "invitation code" in reply.text
    assert "112" not in reply.text
    assert not reply.buttons
    s.fake.assert_no_unread()


async def test_enrol_then_sos(stack: Restart) -> None:
    s = await _enrolled(stack)
    reply = await s.say(MENTOR, "/sos")
    assert "EMERGENCY CONTACTS" in reply.text
    assert "112" in reply.text


async def test_crisis_with_buttons_and_stale_menu(stack: Restart) -> None:
    s = await _enrolled(stack)
    menu = await s.say(MENTOR, "/crisis")
    assert menu.labels == ["Emergency contacts", "A difficult talk"]
    old_token = menu.data_for("A difficult talk")
    question = await s.click(menu, "A difficult talk")
    assert "What happened" in question.text
    # the pressed menu was edited to show the choice, its keyboard removed
    assert (await s.fake.wait_edited(MENTOR, menu.message_id, timeout=10)).buttons == []
    # the old menu's button again: expired, and the current question comes back
    await s.fake.press(MENTOR, menu.message_id, old_token, check=False)
    expired = await s.fake.next_message(MENTOR, timeout=10)
    assert "expired" in expired.text
    again = await s.fake.next_message(MENTOR, timeout=10)
    assert "What happened" in again.text


async def test_every_screen_of_a_crisis_dialog_reaches_emergency_contacts_in_one_tap(
    stack: Restart,
) -> None:
    """An inner screen of the crisis dialog (the question after the first choice) has an
    "Emergency contacts" button: one tap shows what /sos shows, then the same question, and
    the dialog goes on from there."""
    s = await _enrolled(stack)
    menu = await s.say(MENTOR, "/crisis")
    question = await s.click(menu, "A difficult talk")
    assert "What happened" in question.text
    assert question.labels == ["Emergency contacts"]
    contacts = await s.click(question, "Emergency contacts")
    assert "EMERGENCY CONTACTS" in contacts.text
    assert "Emergency – 112" in contacts.text
    # the pressed screen shows the choice; the question comes back, and works
    assert (await s.fake.wait_edited(MENTOR, question.message_id, timeout=10)).buttons == []
    again = await s.fake.next_message(MENTOR, timeout=10)
    assert "What happened" in again.text
    assert again.labels == ["Emergency contacts"]
    offer = await s.say(MENTOR, "Shouting at the reception desk")
    assert "Log this as a note" in offer.text
    assert offer.labels == ["Yes", "No", "Emergency contacts"]
    contacts = await s.click(offer, "Emergency contacts")
    assert "EMERGENCY CONTACTS" in contacts.text
    offer_again = await s.fake.next_message(MENTOR, timeout=10)
    assert "Log this as a note" in offer_again.text
    follow_up = await s.click(offer_again, "No")
    assert "Follow up in 24 hours?" in follow_up.text
    s.fake.assert_no_unread()


async def test_restart_mid_dialog_resumes_and_old_button_works(stack: Restart) -> None:
    s = await _enrolled(stack, allow_case_notes=True)
    menu = await s.say(MENTOR, "/crisis")
    await s.click(menu, "A difficult talk")
    offer = await s.say(MENTOR, "Shouting at the reception desk")
    assert offer.labels == ["Yes", "No", "Emergency contacts"]
    yes = offer.data_for("Yes")
    s = await stack(allow_case_notes=True)  # restart: new process state, same database
    await s.fake.press(MENTOR, offer.message_id, yes)
    confirmation = await s.fake.next_message(MENTOR, timeout=10)
    assert "Note logged on case K-9" in confirmation.text
    actor = await s.relais.identify("telegram", str(MENTOR))
    notes = await s.relais.list_notes(actor, "K-9")
    assert notes[0].body == "Debrief: Shouting at the reception desk"


async def test_note_refused_by_default_and_allowed_when_opted_in(stack: Restart) -> None:
    s = await _enrolled(stack)
    refused = await s.say(MENTOR, "/note K-9 very sensitive text")
    assert "not end-to-end encrypted" in refused.text
    actor = await s.relais.identify("telegram", str(MENTOR))
    assert await s.relais.list_notes(actor, "K-9") == []
    s = await stack(allow_case_notes=True)
    logged = await s.say(MENTOR, "/note K-9 calmer today")
    assert "Note logged on case K-9" in logged.text


async def test_429_and_500_are_retried_and_nothing_is_lost(stack: Restart) -> None:
    s = await _enrolled(stack)
    s.fake.fail_next("sendMessage", 429, retry_after=1)
    reply = await s.say(MENTOR, "/help")
    assert "/sos" in reply.text
    s.fake.fail_next("sendMessage", 500)
    reply = await s.say(MENTOR, "/cases")
    assert "K-9" in reply.text


async def test_language_switch_to_french(stack: Restart) -> None:
    s = await _enrolled(stack)
    assert "français" in (await s.say(MENTOR, "/lang fr")).text
    menu = await s.say(MENTOR, "/crisis")
    assert menu.labels[0] == "Contacts d'urgence"


async def test_commands_menu_is_set_per_language(stack: Restart) -> None:
    s = await stack()
    await s.fake.wait_call("setMyCommands", timeout=10)
    assert ("sos", "Emergency contacts, now") in s.fake.commands("")
    assert ("sos", "Contacts d'urgence, tout de suite") in s.fake.commands("fr")
    # the case's course (issue 16), one command each where a practitioner starts
    names = [name for name, _ in s.fake.commands("")]
    for name in ("handover", "sharing", "review_pack", "decision", "exit", "close", "card"):
        assert name in names
    assert len(names) <= 25  # a menu, not the manual: /help lists the rest


async def test_weekly_checkin_set_from_chat_reminds_on_telegram_then_escalates(
    stack: Restart,
) -> None:
    """Issue 7's story over Telegram: the coordinator sets a weekly check-in from chat, the
    mentor's reminder arrives through the Telegram adapter at 09:00 Paris time (case code
    only), is ignored, and escalates to the case owner, who acknowledges with the button."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.checkins.dispatcher import CheckinDispatcher

    paris = ZoneInfo("Europe/Paris")
    s = await stack()
    s.clock.set(datetime(2026, 1, 4, 18, 0, tzinfo=paris))  # a Sunday evening
    await s.relais.ensure_team("Team T")
    for chat, role, name in ((COORDINATOR, "coordinator", "Cora"), (MENTOR, "mentor", "Mina")):
        code = await s.invite(role, name)
        assert "Welcome" in (await s.say(chat, f"/start {code}")).text
    await s.relais.create_case("K-9", owner="Cora", team="Team T")
    await s.relais.add_member("K-9", "Mina", role="mentor")

    scheduled = await s.say(COORDINATOR, "/checkin K-9 weekly MO 09:00 Mina")
    assert "K-9" in scheduled.text
    dispatcher = CheckinDispatcher(
        s.relais.db, s.clock, s.config.checkins, {"telegram": s.channel}
    )

    async def run_until(when: datetime) -> None:
        while (nxt := await dispatcher.next_wakeup()) is not None and nxt <= when:
            s.clock.set(max(nxt, s.clock.now()))
            await dispatcher.tick()
        s.clock.set(when)
        await dispatcher.tick()

    await run_until(datetime(2026, 1, 5, 8, 59, tzinfo=paris))
    assert s.fake.unread(MENTOR) == []
    await run_until(datetime(2026, 1, 5, 9, 0, tzinfo=paris))
    reminder = await s.fake.next_message(MENTOR, timeout=10)
    assert reminder.text == "Check-in due: case K-9"
    assert "Done" in reminder.labels

    await run_until(datetime(2026, 1, 5, 11, 0, tzinfo=paris))  # ignored for the grace period
    escalation = await s.fake.next_message(COORDINATOR, timeout=10)
    assert escalation.text.startswith("Missed check-in: case K-9")
    acknowledged = await s.click(escalation, escalation.labels[0])
    assert "Acknowledged" in acknowledged.text
    await run_until(datetime(2026, 1, 5, 23, 0, tzinfo=paris))
    s.fake.assert_no_unread()
