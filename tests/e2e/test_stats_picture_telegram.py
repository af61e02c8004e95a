"""`/stats DIALOG` over Telegram (fake Bot API server, python-telegram-bot's real HTTP stack, the
chat layer, the use cases, the database): the picture it sends is the dialog's drawing with the
answers to "Did this help?" under it, small counts as "< 5", and never a comment (pictures
reach coordinators; comments are for psychologists only).

The photo is a PNG; its words are read from the SVG drawn from the same DOT source
(`bot.chat.stats.stats_picture`), which the test ties to the photo sent byte for byte."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.channels.telegram import TelegramChannel
from bot.chat.catalog import LANGUAGES
from bot.chat.stats import WINDOW, stats_picture
from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.runtime import Runtime, open_runtime
from tests.fakes.telegram_server import FakeBotApi
from tests.telegram.conftest import FAST_LIMITS

os.environ.setdefault("PTB_TIMEDELTA", "true")

CONTENT = Path(__file__).resolve().parents[2] / "content"
PSYCHOLOGIST, COORDINATOR = 711, 712
COMMENT = "canary-p1cture the on-call number rang out"

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz")


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


def svg_words(svg: bytes) -> str:
    """Every text of the drawing, unescaped ("&lt; 5" reads "< 5"), one per line."""
    root = ET.fromstring(svg)
    return "\n".join(" ".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


async def test_stats_picture_in_chat_shows_the_feedback_counts_and_no_comment(
    running: tuple[FakeBotApi, Runtime], clock: FakeClock
) -> None:
    fake, runtime = running
    relais = runtime.relais
    await relais.ensure_team("Team T")
    invite = await relais.create_invite(role="mentor", name="Mina", team="Team T")
    mina = await relais.redeem_invite("console", "mina", invite.code)
    day = clock.now().date().isoformat()
    # eight conversations opened the crisis guide, all of them to its first question
    await relais.record_usage({(day, "crisis", 1, "en", "what", "visit", ""): 8})
    for answer in ("yes",) * 6 + ("partly",) * 2:
        given = await relais.give_feedback(mina.practitioner_id, "crisis", 1, "en", answer)
    assert await relais.comment_feedback(mina.practitioner_id, given, COMMENT)

    staff = ((PSYCHOLOGIST, "psychologist", "Pia"), (COORDINATOR, "coordinator", "Cody"))
    for user, role, name in staff:
        code = (await relais.create_invite(role=role, name=name, team="Team T")).code
        await fake.user_says(user, f"/start {code}")
        await fake.next_message(user, timeout=10)

    for user in (PSYCHOLOGIST, COORDINATOR):
        sent = len(fake.calls("sendPhoto"))
        await fake.user_says(user, "/stats crisis")
        await fake.wait_call("sendPhoto", count=sent + 1, timeout=30)
        [photo] = [m for m in fake.sent(user) if m.kind == "photo"]
        assert photo.file_name == "crisis.png"
        assert photo.content.startswith(b"\x89PNG")

        # the same drawing, as SVG, through the same code path: it is the photo sent
        core = runtime.chat.core
        actor = await relais.identify("telegram", str(user))
        assert actor is not None
        report = await relais.usage_figures(actor, "crisis", WINDOW)
        figures = report.versions[-1]
        assert await stats_picture(core, actor, "en", figures, "png") == photo.content
        svg = await stats_picture(core, actor, "en", figures, "svg")
        assert svg is not None
        words = svg_words(svg)
        assert "Did this help? yes 6 · partly < 5 · no 0" in words
        assert "canary-p1cture" not in words
        assert "on-call number rang out" not in words
        assert "Mina" not in words
        text = "\n".join(m.text for m in fake.sent(user) if m.kind == "text")
        assert ("canary-p1cture" in text) is (user == PSYCHOLOGIST)  # the text, not the picture
