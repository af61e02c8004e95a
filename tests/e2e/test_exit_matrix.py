"""The exit report over Matrix with end-to-end encryption (a real Synapse, a strict matrix-nio
practitioner, the real adapter): buttons are numbered and a typed number presses one, the
answers are typed, and /exit-report arrives as an encrypted file holding them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Config, StorageConfig
from bot.runtime import Runtime, open_runtime
from tests.matrix.conftest import BotFactory, PractitionerFactory

pytestmark = pytest.mark.synapse


@pytest.fixture
async def runtime(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[Runtime]:
    config = Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(chat_content),
        storage=StorageConfig(url=sqlite_url),
    )
    opened = await open_runtime(config, clock)
    await opened.relais.ensure_team("Team M")
    await opened.relais.import_contacts(
        {
            "contact": [
                {"key": "e", "role": "emergency", "name": "Emergency", "phone": "112"},
                {"key": "x", "role": "exit_worker", "name": "Léa Exit", "phone": "0611"},
            ]
        },
        team="Team M",
    )
    yield opened
    await opened.relais.close()


async def test_exit_report_in_an_encrypted_dm(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(runtime.chat.handle)
    owner = await practitioners.new("owner")
    room = await owner.open_dm(bot.user_id)
    code = (
        await runtime.relais.create_invite(role="social_worker", name="Sol", team="Team M")
    ).code
    await owner.say(room, f"!start {code}")
    assert "Welcome, Sol" in (await owner.next_message(room, timeout=20)).body
    await runtime.relais.create_case("K-5", owner="Sol", team="Team M")

    await owner.say(room, "!exit K-5")
    intro, first = await owner.messages(room, 2)
    assert "0 of 6 elements answered" in intro.body
    assert "1/6 – Residual risk" in first.body
    assert "1. Skip for now" in first.body
    assert "2. All elements" in first.body
    await owner.say(room, "1")  # a typed number presses "Skip for now"
    second = await owner.next_message(room)
    assert "2/6 – Strategies of the services involved" in second.body
    await owner.say(room, "Probation monthly, exit programme weekly.")
    saved, third = await owner.messages(room, 2)
    assert saved.body == "Saved: Strategies of the services involved (1 of 6 answered)."
    assert "3/6 – Assessment of the risk of return" in third.body

    await owner.say(room, "!exit-report K-5")
    caption = await owner.next_message(room)
    assert caption.body == "Exit report of case K-5: 1 of 6 elements answered."
    document = await owner.next_message(room)
    assert document.msgtype == "m.file"
    assert "file" in document.content  # an encrypted upload, not a plain URL
    report = (await owner.download(document)).decode()
    assert "Probation monthly, exit programme weekly." in report
    assert "Exit worker: Léa Exit – 0611" in report
    assert "Incomplete: 1 of 6 elements answered." in report
    assert owner.refused == []
