"""Publishing guidance end to end over Matrix with end-to-end encryption: a real Synapse,
matrix-nio practitioners in encrypted DMs, the real adapter, the runtime and SQLite.

A psychologist sends a draft with errors as an encrypted file (located, coded diagnostics come
back), fixes it, previews it (its picture arrives as an image; notes are simulated), a colleague
approves it, it is published; a mentor in the middle of version 1 finishes on version 1 while
another gets version 2; rollback in chat; a mentor's file is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import Config, PublishingConfig, StorageConfig
from bot.runtime import Runtime, open_runtime
from tests.matrix.conftest import BotFactory, Message, Practitioner, PractitionerFactory

pytestmark = pytest.mark.synapse

DATA = Path(__file__).resolve().parents[1] / "publishing" / "data"
CHAT_DATA = Path(__file__).resolve().parents[1] / "chat" / "data" / "dialogs"
TIPS = (DATA / "tips.yaml").read_text("utf-8")
CRISIS = (CHAT_DATA / "crisis.yaml").read_text("utf-8")


async def until(who: Practitioner, room: str, needle: str, timeout: float = 15) -> list[Message]:  # noqa: ASYNC109
    """Messages up to and including the first one containing `needle`."""
    seen: list[Message] = []
    while True:
        message = await who.next_message(room, timeout)
        seen.append(message)
        if needle in message.body:
            return seen


@pytest.fixture
async def runtime(
    sqlite_url: str, tmp_path: Path, clock: FakeClock, chat_content: Path
) -> AsyncIterator[Runtime]:
    config = Config(
        data_dir=str(tmp_path / "data"),
        content_dir=str(chat_content),
        storage=StorageConfig(url=sqlite_url),
        publishing=PublishingConfig(reviewers_required=1, max_file_bytes=20_000),
    )
    opened = await open_runtime(config, clock)
    await opened.relais.ensure_team("Team M")
    yield opened
    await opened.relais.close()


async def _enrol(runtime: Runtime, who: Practitioner, bot_user: str, role: str, name: str) -> str:
    room = await who.open_dm(bot_user)
    code = (await runtime.relais.create_invite(role=role, name=name, team="Team M")).code
    await who.say(room, f"!start {code}")
    await until(who, room, f"Welcome, {name}", timeout=20)
    return room


async def test_publishing_over_encrypted_matrix(
    runtime: Runtime, bots: BotFactory, practitioners: PractitionerFactory
) -> None:
    bot = await bots.start(runtime.chat.handle)
    pia, paul = await practitioners.new("pia"), await practitioners.new("paul")
    mina, milo = await practitioners.new("mina"), await practitioners.new("milo")
    pia_room = await _enrol(runtime, pia, bot.user_id, "psychologist", "Pia")
    paul_room = await _enrol(runtime, paul, bot.user_id, "psychologist", "Paul")
    mina_room = await _enrol(runtime, mina, bot.user_id, "mentor", "Mina")
    milo_room = await _enrol(runtime, milo, bot.user_id, "mentor", "Milo")
    await runtime.relais.create_case("K-3", owner="Mina", team="Team M")

    # a mentor's file is refused
    await mina.send_file(mina_room, "tips.yaml", TIPS.encode())
    await until(mina, mina_room, "Only psychologists can send dialog files.")

    # errors come back located and coded; the fixed file is a draft
    await pia.send_file(pia_room, "tips.yaml", TIPS.replace("next: done", "next: finish").encode())
    answer = await until(pia, pia_room, "RD024")
    assert "tips.yaml:28:11: RD024 error" in answer[-1].body
    await pia.send_file(pia_room, "tips.yaml", TIPS.encode())
    await until(pia, pia_room, "Draft ready: tips")

    # preview: the intro, the picture (an encrypted image), the dialog; notes are simulated
    await pia.say(pia_room, "!preview tips")
    shown = await until(pia, pia_room, "How are you doing?")
    assert any("Preview of the draft tips" in m.body for m in shown)
    images = [m for m in shown if m.msgtype == "m.image"]
    assert len(images) == 1
    assert (await pia.download(images[0])).startswith(b"\x89PNG")
    await pia.say(pia_room, "1")  # Fine
    await until(pia, pia_room, "Log that you are fine?")
    await pia.say(pia_room, "yes")
    await until(pia, pia_room, "[preview] note not logged on PREVIEW")

    # review and publish
    await paul.say(paul_room, "!review tips")
    await until(paul, paul_room, "1. Approve")
    await paul.say(paul_room, "1")
    await until(paul, paul_room, "You approved the draft tips")
    await pia.say(pia_room, "!publish tips")
    published = await until(pia, pia_room, "Published tips version 1.")
    assert "2 team member(s) told" in published[-1].body

    # versions: Mina is in the middle of crisis v1 when v2 is published
    await mina.say(mina_room, "/crisis K-3")
    await until(mina, mina_room, "2. A difficult talk")
    await mina.say(mina_room, "2")
    await until(mina, mina_room, "What happened")
    v2 = CRISIS.replace("A difficult talk", "A hard conversation").replace(
        "Take care of yourself too.", "This is version two."
    )
    await pia.send_file(pia_room, "crisis.yaml", v2.encode())
    await until(pia, pia_room, "Draft ready: crisis")
    await paul.say(paul_room, "!approve crisis")  # an approval is of a text the reviewer read
    await until(paul, paul_room, "Run /review crisis first")
    await paul.say(paul_room, "!review crisis")
    await until(paul, paul_room, "Changes against the published version 1")
    await paul.say(paul_room, "!approve crisis")
    await until(paul, paul_room, "You approved the draft crisis")
    await pia.say(pia_room, "!publish crisis")
    answer = await until(pia, pia_room, "Published crisis version 2.")
    assert "1 conversation(s) in progress on version 1 will finish on it" in answer[-1].body

    await milo.say(milo_room, "/crisis K-3")
    await until(milo, milo_room, "2. A hard conversation")
    await mina.say(mina_room, "He lost his brother")
    await until(mina, mina_room, "Log this as a note")
    await mina.say(mina_room, "no")
    await until(mina, mina_room, "Follow up in 24 hours?")
    await mina.say(mina_room, "no")
    await until(mina, mina_room, "Thank you. Take care of yourself too.")

    # rollback in chat: version 3 is a copy of version 1
    await pia.say(pia_room, "!rollback crisis 1")
    answer = await until(pia, pia_room, "Published crisis version 3.")
    assert "a copy of version 1" in answer[-1].body
    await milo.say(milo_room, "/cancel")
    await milo.say(milo_room, "/crisis K-3")
    await until(milo, milo_room, "2. A difficult talk")

    # a stale "1. Approve": the reviewer reads, the author replaces the draft, the reviewer
    # types the number of the old button: nothing is approved, and they are told why
    await pia.send_file(pia_room, "tips.yaml", TIPS.replace("Take care.", "Rest.").encode())
    await until(pia, pia_room, "Draft ready: tips")
    await paul.say(paul_room, "!review tips")
    await until(paul, paul_room, "1. Approve")
    await pia.send_file(pia_room, "tips.yaml", TIPS.replace("Take care.", "Sleep.").encode())
    await until(pia, pia_room, "was replaced by this file")
    await paul.say(paul_room, "1")
    await until(paul, paul_room, "changed after you were shown it: nothing was approved")
    await pia.say(pia_room, "!publish tips")
    await until(pia, pia_room, "needs a colleague's approval")
