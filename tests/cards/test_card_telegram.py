"""`/card` end to end over Telegram: the fake Bot API server, python-telegram-bot's real HTTP
stack, the chat layer, the use case (policy, audit) and the database; the card arrives as a
document (sendDocument) made from the bundled crisis dialog and the team's directory."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.channels.telegram import TelegramChannel
from bot.chat.catalog import LANGUAGES
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.runtime import Runtime, open_runtime
from tests.fakes.telegram_server import FakeBotApi
from tests.telegram.conftest import FAST_LIMITS

os.environ.setdefault("PTB_TIMEDELTA", "true")

CONTENT = Path(__file__).resolve().parents[2] / "content"
MENTOR = 701


@pytest.fixture
async def running(
    sqlite_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[tuple[FakeBotApi, Runtime]]:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    async with FakeBotApi() as fake:
        config = Config(
            data_dir=str(tmp_path / "data"),
            content_dir=str(content),
            storage=StorageConfig(url=sqlite_url),
            telegram=fake.config(poll_timeout=1),
        )
        runtime = await open_runtime(config, clock)
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


async def test_card_is_sent_as_a_document(running: tuple[FakeBotApi, Runtime]) -> None:
    fake, runtime = running
    relais = runtime.relais
    await relais.ensure_team("Team T")
    code = (await relais.create_invite(role="mentor", name="Mina", team="Team T")).code
    await relais.import_contacts(
        {
            "contact": [
                {"key": "e", "role": "emergency", "name": "Urgences", "phone": "112"},
                {
                    "key": "psy",
                    "role": "on_call_psychologist",
                    "name": "Dr Moreau",
                    "phone": "+33 6 00 00 00 02",
                },
            ]
        },
        team="Team T",
    )
    await fake.user_says(MENTOR, f"/start {code}")
    await fake.next_message(MENTOR, timeout=10)
    for message in fake.unread(MENTOR):  # the welcome may come in several messages
        assert message.kind == "text"
    await fake.user_says(MENTOR, "/card fr")
    await fake.wait_call("sendDocument", timeout=30)
    card = [m for m in fake.unread(MENTOR) if m.kind == "document"][-1]
    assert card.file_name == "crisis-fr.pdf"
    assert card.content.startswith(b"%PDF-")
    assert "Pocket card: Que se passe-t-il ? (fr)." in card.text  # caption in her language
    async with relais.db.begin() as conn:
        rows = await conn.execute(
            text("select outcome, detail from audit_log where action = 'dialog.card'")
        )
        audited = [(r[0], r[1]) for r in rows]
    assert len(audited) == 1
    assert audited[0][0] == "ok"
    assert '"dialog":"crisis"' in audited[0][1].replace(" ", "")
    # a dialog without a card gets a plain answer naming those that have one
    await fake.user_says(MENTOR, "/card who_does_what")
    await fake.wait_call("sendMessage", count=len(fake.calls("sendMessage")) + 1, timeout=10)
    answer = [m for m in fake.unread(MENTOR) if m.kind == "text"][-1]
    assert "There is no crisis guide who_does_what" in answer.text
    assert "crisis" in answer.text.split(":")[-1]
    # a language Relais does not have gets the usage, not "no crisis guide de"
    await fake.user_says(MENTOR, "/card crisis de")
    await fake.wait_call("sendMessage", count=len(fake.calls("sendMessage")) + 1, timeout=10)
    answer = [m for m in fake.unread(MENTOR) if m.kind == "text"][-1]
    assert answer.text.startswith("Usage: /card [DIALOG] [en|fr]"), answer.text
