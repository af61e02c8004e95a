"""Publishing guidance end to end over Telegram: the fake Bot API server, python-telegram-bot's
real HTTP stack, the runtime (chat layer + publishing + check-in outbox) and SQLite.

A psychologist uploads a draft with errors (located, coded diagnostics come back), fixes it,
previews it (its picture first), a colleague reviews it, it is published; a mentor in the
middle of version 1 finishes on version 1 while another mentor gets version 2; rollback;
other roles are refused."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramChannel
from bot.chat.catalog import LANGUAGES
from bot.checkins.dispatcher import CheckinDispatcher
from bot.clock import FakeClock
from bot.config import Config, PublishingConfig, StorageConfig
from bot.runtime import Runtime, open_runtime
from storage.models import AuditEntryRow
from tests.fakes.telegram_server import BotMessage, FakeBotApi
from tests.telegram.conftest import FAST_LIMITS

os.environ.setdefault("PTB_TIMEDELTA", "true")

PIA, PAUL, MINA, MILO, BO = 701, 702, 703, 704, 705
DATA = Path(__file__).resolve().parents[1] / "publishing" / "data"
CHAT_DATA = Path(__file__).resolve().parents[1] / "chat" / "data" / "dialogs"
TIPS = (DATA / "tips.yaml").read_text("utf-8")
CRISIS = (CHAT_DATA / "crisis.yaml").read_text("utf-8")


@dataclass
class Stack:
    fake: FakeBotApi
    runtime: Runtime
    channel: TelegramChannel

    async def drain(self, chat: int) -> list[BotMessage]:
        """The bot's answer: the next message, and any that follow it at once."""
        messages = [await self.fake.next_message(chat, timeout=10)]
        while True:
            try:
                messages.append(await self.fake.next_message(chat, timeout=0.25))
            except AssertionError:
                return messages

    async def say(self, chat: int, text: str) -> list[BotMessage]:
        await self.fake.user_says(chat, text)
        return await self.drain(chat)

    async def upload(self, chat: int, file_name: str, text: str) -> list[BotMessage]:
        await self.fake.user_sends_document(chat, file_name, text.encode("utf-8"))
        return await self.drain(chat)

    async def click(self, message: BotMessage, label: str) -> list[BotMessage]:
        ref = await self.fake.click(message, label)
        await self.fake.wait_answered(ref.callback_query_id or "", timeout=10)
        return await self.drain(message.chat_id)


def joined(messages: list[BotMessage]) -> str:
    return "\n".join(m.text for m in messages)


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
            publishing=PublishingConfig(reviewers_required=1, max_file_bytes=20_000),
        )
        runtime = await open_runtime(config, clock)
        channel = TelegramChannel(
            config.telegram,
            fake.token,
            limits=FAST_LIMITS,
            commands={lang: runtime.catalog.commands(lang) for lang in LANGUAGES},
        )
        await channel.start(runtime.chat.handle)
        s = Stack(fake, runtime, channel)
        relais = runtime.relais
        await relais.ensure_team("Team T")
        for chat, role, name in (
            (PIA, "psychologist", "Pia"),
            (PAUL, "psychologist", "Paul"),
            (MINA, "mentor", "Mina"),
            (MILO, "mentor", "Milo"),
        ):
            invite = await relais.create_invite(role=role, name=name, team="Team T")
            assert f"Welcome, {name}" in joined(await s.say(chat, f"/start {invite.code}"))
        await relais.create_case("K-9", owner="Mina", team="Team T")
        await relais.add_member("K-9", "Milo", role="mentor")
        try:
            yield s
        finally:
            await channel.stop()
            await runtime.close()


async def test_publish_a_dialog_from_a_file_over_telegram(stack: Stack) -> None:
    s = stack
    broken = TIPS.replace("next: done", "next: finish")
    answer = joined(await s.upload(PIA, "tips.yaml", broken))
    assert "1 error(s)" in answer
    assert "tips.yaml:28:11: RD024 error: node 'log' leads to 'finish'" in answer

    answer = joined(await s.upload(PIA, "tips.yaml", TIPS))
    assert "Draft ready: tips (Tips for a hard day)" in answer

    preview = await s.say(PIA, "/preview tips")
    assert preview[0].kind == "photo"
    assert "Preview of the draft tips" in preview[0].text
    assert preview[0].content.startswith(b"\x89PNG")
    assert "How are you doing?" in preview[-1].text
    answer = await s.click(preview[-1], "Fine")
    answer = await s.click(answer[-1], "Yes")
    # as mentors see it on this channel: Telegram refuses case notes
    assert "case notes cannot be logged" in joined(answer)

    review = await s.say(PAUL, "/review tips")
    assert "Review: draft tips (Tips for a hard day) by Pia" in joined(review)
    assert "You approved the draft tips" in joined(await s.click(review[-1], "Approve"))
    answer = joined(await s.say(PIA, "/publish tips"))
    assert "Published tips version 1." in answer
    assert "2 team member(s) told" in answer  # the two mentors

    # the notice goes through the check-in outbox: the title, nothing more
    runtime = s.runtime
    dispatcher = CheckinDispatcher(
        runtime.relais.db, runtime.clock, runtime.config.checkins, {"telegram": s.channel}
    )
    await dispatcher.tick()
    for chat in (MINA, MILO):
        notice = await s.fake.next_message(chat, timeout=10)
        assert notice.text == "New guidance available: Tips for a hard day"
    # the other psychologist was told the draft awaited review; the author of the approval
    to_paul = joined(await s.drain(PAUL))
    assert to_paul == "Pia sent a draft of Tips for a hard day (tips) for review: /review tips"
    to_pia = joined(await s.drain(PIA))
    assert to_pia == "Paul approved your draft tips: /publish tips publishes it."

    answer = await s.say(MINA, "/dialogs")
    assert "How are you doing?" in joined(await s.click(answer[-1], "Tips for a hard day"))
    s.fake.assert_no_unread()


async def test_running_conversation_keeps_its_version_and_rollback(stack: Stack) -> None:
    s = stack
    first = await s.say(MINA, "/crisis K-9")
    asked = await s.click(first[-1], "A difficult talk")
    assert "What happened, in a few words?" in joined(asked)

    v2 = CRISIS.replace("A difficult talk", "A hard conversation").replace(
        "Take care of yourself too.", "This is version two."
    )
    assert "Draft ready: crisis" in joined(await s.upload(PIA, "crisis.yaml", v2))
    assert "Run /review crisis first" in joined(await s.say(PAUL, "/approve crisis"))
    assert "Changes against the published version 1" in joined(await s.say(PAUL, "/review crisis"))
    assert "You approved" in joined(await s.say(PAUL, "/approve crisis"))
    answer = joined(await s.say(PIA, "/publish crisis"))
    assert "Published crisis version 2." in answer
    assert "1 conversation(s) in progress on version 1 will finish on it" in answer

    # a new conversation gets version 2
    other = await s.say(MILO, "/crisis K-9")
    assert "A hard conversation" in [label for label, _token in other[-1].buttons]
    # the conversation in the middle of version 1 finishes on version 1
    offer = await s.say(MINA, "He lost his brother")
    offer = await s.click(offer[-1], "No")
    done = joined(await s.click(offer[-1], "No"))
    assert "Take care of yourself too." in done
    assert "version two" not in done

    # rollback: version 3 is a copy of version 1; new conversations get it
    runtime = s.runtime
    pia = await runtime.relais.identify("telegram", str(PIA))
    assert pia is not None
    published = await runtime.publishing.rollback_dialog(pia, "crisis", 1)
    assert published.version == 3
    answer = joined(await s.say(PIA, "/draft"))  # any publishing command picks it up
    again = await s.say(MILO, "/cancel")
    again = await s.say(MILO, "/crisis K-9")
    assert "A difficult talk" in [label for label, _token in again[-1].buttons]
    assert "There are no open drafts." in answer


async def test_other_roles_are_refused_over_telegram(stack: Stack) -> None:
    s = stack
    answer = joined(await s.upload(MINA, "tips.yaml", TIPS))
    assert "Only psychologists can send dialog files." in answer
    for command in ("/draft", "/review tips", "/publish tips", "/approve tips"):
        assert "Your role does not allow that" in joined(await s.say(MINA, command)), command
    assert "There are no open drafts." in joined(await s.say(PIA, "/draft"))


async def test_a_stale_approve_approves_nothing_over_telegram(stack: Stack) -> None:
    """The reviewer opens /review, the author replaces the draft, the reviewer presses the old
    button: refused, nothing approved or published; a new revision voids an approval and both
    people are told."""
    s = stack
    assert "Draft ready: tips" in joined(await s.upload(PIA, "tips.yaml", TIPS))
    review = await s.say(PAUL, "/review tips")
    assert "Review: draft tips (Tips for a hard day) by Pia" in joined(review)

    # the author replaces the draft while the reviewer reads the first text
    answer = joined(await s.upload(PIA, "tips.yaml", TIPS.replace("Take care.", "Rest well.")))
    assert "was replaced by this file" in answer
    refused = joined(await s.click(review[-1], "Approve"))
    assert refused == (
        "The draft tips changed after you were shown it: nothing was approved. "
        "/review tips shows the current text."
    )
    # a typed /approve is bound to what /review showed that reviewer, too
    assert "changed after you were shown it" in joined(await s.say(PAUL, "/approve tips"))
    assert "needs a colleague's approval" in joined(await s.say(PIA, "/publish tips"))

    # the reviewer reads the new text and approves it; the author replaces it again
    review = await s.say(PAUL, "/review tips")
    assert 'text: {en: "Rest well."' in joined(review)
    assert "You approved the draft tips" in joined(await s.click(review[-1], "Approve"))
    answer = joined(await s.upload(PIA, "tips.yaml", TIPS.replace("Take care.", "Sleep well.")))
    assert "Paul's approval was of the earlier text: it no longer applies" in answer
    assert "needs a colleague's approval" in joined(await s.say(PIA, "/publish tips"))
    assert await s.runtime.publishing.published_versions("tips") == []

    # both are told through the outbox: the reviewer that the approval is void
    runtime = s.runtime
    dispatcher = CheckinDispatcher(
        runtime.relais.db, runtime.clock, runtime.config.checkins, {"telegram": s.channel}
    )
    await dispatcher.tick()
    to_paul = joined(await s.drain(PAUL))
    assert "The draft tips you approved was replaced by its author" in to_paul
    assert "Pia sent a draft of Tips for a hard day (tips) for review: /review tips" in to_paul
    to_pia = joined(await s.drain(PIA))
    assert "Paul approved your draft tips" in to_pia


async def test_a_psychologist_of_another_team_is_refused_over_telegram(stack: Stack) -> None:
    """Team T's guidance (`teams:`): Bo, a psychologist of Team U, may not review, approve or
    send back its draft; each refusal says what was refused and is audited as denied."""
    s = stack
    relais = s.runtime.relais
    await relais.ensure_team("Team U")
    invite = await relais.create_invite(role="psychologist", name="Bo", team="Team U")
    assert "Welcome, Bo" in joined(await s.say(BO, f"/start {invite.code}"))
    team_tips = TIPS.replace("start:", 'teams: ["Team T"]\nstart:', 1)
    assert "Draft ready: tips" in joined(await s.upload(PIA, "tips.yaml", team_tips))

    assert joined(await s.say(BO, "/review tips")) == (
        "You cannot review the draft of tips: it is guidance of Team T, and only their "
        "psychologists may see its drafts. Nothing was shown."
    )
    assert joined(await s.say(BO, "/approve tips")) == (
        "You cannot approve the draft of tips: it is guidance of Team T, and only their "
        "psychologists may approve it. Nothing was approved."
    )
    assert "You cannot send back the draft of tips" in joined(
        await s.say(BO, "/reject tips not good")
    )
    assert "There are no open drafts." in joined(await s.say(BO, "/review"))
    async with relais.db.transaction(relais.clock.now()) as tx:
        rows = await tx.conn.execute(
            select(AuditEntryRow).where(AuditEntryRow.outcome == "denied")
        )
        denied = [(r.action, json.loads(r.detail)) for r in rows]
    assert [(action, d["refused"], d["dialog_id"]) for action, d in denied] == [
        ("dialog.review", "dialog.teams", "tips"),
        ("dialog.approve", "dialog.teams", "tips"),
        ("dialog.approve", "dialog.teams", "tips"),
    ]
    # the draft is untouched: Paul (Team T) reviews and approves it as usual
    review = await s.say(PAUL, "/review tips")
    assert "You approved the draft tips" in joined(await s.click(review[-1], "Approve"))
