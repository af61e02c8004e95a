"""The first message after enrolment says what Relais is, over the real channel adapters: the
fake Bot API server (python-telegram-bot's HTTP stack) and a real Synapse with an encrypted DM
and a strict client. (Console: tests/chat/test_first_message.py.)"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.telegram import TelegramChannel
from bot.chat.catalog import LANGUAGES
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.runtime import Runtime, open_runtime
from tests.fakes.telegram_server import FakeBotApi
from tests.matrix.conftest import BotFactory, PractitionerFactory
from tests.telegram.conftest import FAST_LIMITS

os.environ.setdefault("PTB_TIMEDELTA", "true")

EN = (
    "I am Relais, an automated assistant: a program, not a clinician and not a person.",
    "I show guidance written by your team's psychologists",
    "To reach a human in an emergency, send /sos at any time",
    "Emergency services: Emergency – 112",
)
FR = (
    "Je suis Relais, un assistant automatisé : un programme, ni un clinicien ni une personne.",
    "J'affiche des conseils rédigés par les psychologues de votre équipe",
    "Pour joindre un humain en cas d'urgence, envoyez /sos à tout moment",
    "Services d'urgence : Emergency – 112",
)


async def _runtime(config: Config, clock: FakeClock, team: str) -> Runtime:
    runtime = await open_runtime(config, clock)
    await runtime.relais.ensure_team(team)
    await runtime.relais.import_contacts(
        {"contact": [{"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"}]},
        team=team,
    )
    return runtime


@pytest.fixture
async def telegram(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[tuple[FakeBotApi, Runtime]]:
    async with FakeBotApi() as fake:
        config = Config(
            data_dir=str(tmp_path / "data"),
            content_dir=str(chat_content),
            storage=StorageConfig(url=sqlite_url),
            telegram=fake.config(poll_timeout=1),
        )
        runtime = await _runtime(config, clock, "Team T")
        channel = TelegramChannel(
            config.telegram,
            fake.token,
            limits=FAST_LIMITS,
            commands={lang: runtime.catalog.commands(lang) for lang in LANGUAGES},
        )
        await channel.start(runtime.chat.handle)
        try:
            yield fake, runtime
        finally:
            await channel.stop()
            await runtime.close()


@pytest.mark.parametrize(("lang", "expected"), [("en", EN), ("fr", FR)])
async def test_first_message_on_telegram(
    telegram: tuple[FakeBotApi, Runtime], lang: str, expected: tuple[str, ...]
) -> None:
    fake, runtime = telegram
    invite = await runtime.relais.create_invite(
        role="mentor", name="Mina", team="Team T", language=lang
    )
    await fake.user_says(501, f"/start {invite.code}")
    first = await fake.next_message(501, timeout=10)
    for line in expected:
        assert line in first.text, first.text


@pytest.fixture
async def matrix_runtime(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[Runtime]:
    config = Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(chat_content),
        storage=StorageConfig(url=sqlite_url),
    )
    runtime = await _runtime(config, clock, "Team M")
    yield runtime
    await runtime.relais.close()


@pytest.mark.synapse
async def test_first_message_over_encrypted_matrix(
    matrix_runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(matrix_runtime.chat.handle)
    mentor = await practitioners.new("mentor")
    assert mentor.strict is not None
    room = await mentor.open_dm(bot.user_id)
    relais = matrix_runtime.relais
    code = (await relais.create_invite(role="mentor", name="Mona", team="Team M")).code
    await mentor.say(room, f"!start {code}")
    first = await mentor.next_message(room, timeout=20)
    assert "Welcome, Mona" in first.body
    for line in EN:
        assert line in first.body, first.body
    assert mentor.refused == []
    # and in French, for a practitioner invited in French
    other = await practitioners.new("mentor-fr")
    room_fr = await other.open_dm(bot.user_id)
    code = (
        await relais.create_invite(role="mentor", name="Marc", team="Team M", language="fr")
    ).code
    await other.say(room_fr, f"!start {code}")
    first = await other.next_message(room_fr, timeout=20)
    for line in FR:
        assert line in first.body, first.body
