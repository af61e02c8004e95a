"""/sos answers within its usual time while a dialog misbehaves, over Telegram (the fake Bot API
server, python-telegram-bot's HTTP stack, the per-chat lanes, the chat layer, SQLite).

- A hostile dialog version, loaded as a stored row is (no checker): nested `range()` loops in
  a text (they blocked the event loop for every chat) and a backtracking-prone answer pattern.
  Another chat's /sos is answered at once; the hostile text shows a notice, the answer is
  refused at once.
- The slowest thing still allowed: a draft whose walk explores 100,000 engine steps (a worker
  thread, seconds). /sos from another chat, and from the same chat (behind the upload in its
  lane), is answered within its usual time.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.channels.telegram import TelegramChannel
from bot.chat.catalog import LANGUAGES
from bot.chat.crisis_help import SOS_TOKEN
from bot.clock import FakeClock
from bot.config import Config, PublishingConfig, StorageConfig
from bot.messages import SOS_BUTTON, is_sos
from bot.runtime import Runtime, open_runtime
from dialogs import load_dialog_text
from dialogs.templates import unavailable_text
from tests.fakes.telegram_server import BotMessage, FakeBotApi
from tests.telegram.conftest import FAST_LIMITS

os.environ.setdefault("PTB_TIMEDELTA", "true")

PIA, MINA, MILO = 801, 802, 803
#: what "within its usual time" means here: generous for a loaded machine, far below the
#: seconds a blocked event loop or a queue behind a slow turn takes
SOS_WITHIN = 3.0

HOSTILE = """\
id: slow
title: {en: "Slow", fr: "Lent"}
audience: [mentor]
languages: [en, fr]
start: first
nodes:
  first:
    kind: question
    text:
      en: "{% for a in range(15000) %}{% for b in range(15000) %}{% endfor %}{% endfor %}Hi"
      fr: "Salut"
    options:
      - {id: go, label: {en: "Go", fr: "Go"}, next: name}
  name:
    kind: input
    text: {en: "Your name?", fr: "Votre nom ?"}
    var: who
    validate: {pattern: '([A-Za-z]+\\s?)+', max_length: 200}
    next: done
  done: {kind: end, text: {en: "Bye {{ who }}", fr: "Salut"}}
"""


def _many_paths(inputs: int, values: int) -> str:
    """A valid draft whose walk is as long as the walk's budget allows."""
    nodes = []
    for i in range(inputs):
        after = f"q{i + 1}" if i + 1 < inputs else "done"
        branches = ", ".join(f'{{when: "v{i} == {j}", to: {after}}}' for j in range(values))
        nodes.append(
            f'  q{i}:\n    kind: input\n    text: {{en: "Q{i}", fr: "Q{i}"}}\n'
            f"    var: v{i}\n    next: [{branches}, {{to: {after}}}]\n"
        )
    return (
        'id: many\ntitle: {en: "Many", fr: "Beaucoup"}\nlanguages: [en, fr]\nstart: q0\n'
        "nodes:\n" + "".join(nodes) + '  done: {kind: end, text: {en: "bye", fr: "salut"}}\n'
    )


@dataclass
class Stack:
    fake: FakeBotApi
    runtime: Runtime

    async def sos(self, chat: int) -> tuple[float, BotMessage]:
        started = time.perf_counter()
        await self.fake.user_says(chat, "/sos")
        message = await self.fake.next_message(chat, timeout=120)
        return time.perf_counter() - started, message


@pytest.fixture
async def stack(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[Stack]:
    async with FakeBotApi() as fake:
        config = Config(
            data_dir=str(tmp_path / "data"),
            content_dir=str(chat_content),
            storage=StorageConfig(url=sqlite_url),
            telegram=fake.config(poll_timeout=1),
            publishing=PublishingConfig(reviewers_required=1, max_file_bytes=50_000),
        )
        runtime = await open_runtime(config, clock)
        channel = TelegramChannel(
            config.telegram,
            fake.token,
            limits=FAST_LIMITS,
            commands={lang: runtime.catalog.commands(lang) for lang in LANGUAGES},
        )
        await channel.start(runtime.chat.handle)
        relais = runtime.relais
        await relais.ensure_team("Team T")
        for chat, role, name in (
            (PIA, "psychologist", "Pia"),
            (MINA, "mentor", "Mina"),
            (MILO, "mentor", "Milo"),
        ):
            invite = await relais.create_invite(role=role, name=name, team="Team T")
            await fake.user_says(chat, f"/start {invite.code}")
            assert f"Welcome, {name}" in (await fake.next_message(chat, timeout=10)).text
        await relais.create_case("K-9", owner="Mina", team="Team T")
        await relais.import_contacts(
            {"contact": [{"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"}]},
            team="Team T",
        )
        try:
            yield Stack(fake, runtime)
        finally:
            await channel.stop()
            await runtime.close()


async def _answered_sos(s: Stack, chat: int) -> float:
    elapsed, message = await s.sos(chat)
    assert "EMERGENCY CONTACTS" in message.text
    assert "112" in message.text
    return elapsed


async def test_sos_from_another_chat_while_a_hostile_stored_dialog_runs(stack: Stack) -> None:
    s = stack
    usual = await _answered_sos(s, MILO)
    loaded = load_dialog_text(HOSTILE, "slow.yaml")  # what a stored version gets: no checker
    assert loaded.dialog is not None
    s.runtime.dialogs.add_version(loaded.dialog, 1)

    await s.fake.user_says(MINA, "/dialogs")
    menu = await s.fake.next_message(MINA, timeout=10)
    await s.fake.click(menu, "Slow")  # Mina's turn renders the hostile text...
    elapsed = await _answered_sos(s, MILO)  # ...while Milo asks for help
    assert elapsed < SOS_WITHIN, (elapsed, usual)
    shown = await s.fake.next_message(MINA, timeout=60)
    assert shown.text.startswith(unavailable_text("en"))
    assert shown.labels[0] == "Go"  # the dialog goes on

    await s.fake.click(shown, "Go")
    assert "Your name?" in (await s.fake.next_message(MINA, timeout=10)).text
    await s.fake.user_says(MINA, "a" * 27 + "!")  # backtracked for seconds on Python's re
    elapsed = await _answered_sos(s, MILO)
    assert elapsed < SOS_WITHIN, (elapsed, usual)
    assert "not valid" in (await s.fake.next_message(MINA, timeout=60)).text


@pytest.mark.slow
async def test_sos_in_the_same_chat_and_another_while_a_draft_walk_runs(stack: Stack) -> None:
    s = stack
    usual = await _answered_sos(s, PIA)
    await s.fake.user_sends_document(PIA, "many.yaml", _many_paths(6, 30).encode("utf-8"))
    await asyncio.sleep(0.5)  # the upload is in Pia's lane: its walk is running
    assert s.fake.unread(PIA) == []
    other = await _answered_sos(s, MILO)
    same, message = await s.sos(PIA)  # behind the upload in the same chat's lane
    assert "EMERGENCY CONTACTS" in message.text
    assert "112" in message.text
    assert (other, same) < (SOS_WITHIN, SOS_WITHIN), (other, same, usual)
    busy = await s.fake.next_message(PIA, timeout=10)
    assert "still being handled" in busy.text
    verdict = await s.fake.next_message(PIA, timeout=240)  # the walk stops at its budget
    assert "within 100,000 steps" in verdict.text


def test_the_emergency_button_and_typed_sos_are_recognised() -> None:
    assert SOS_BUTTON == SOS_TOKEN
    for typed in ("/sos", "/SOS now", "!sos", "/sos@RelaisBot", "  /sos  "):
        assert is_sos(typed), typed
    for other in ("/sosx", "sos", "/", "", None, "/help sos"):
        assert not is_sos(other), other
    assert is_sos(button=SOS_TOKEN)
    assert not is_sos(button="o.crisis")
