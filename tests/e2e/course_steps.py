"""Steps the end-to-end tests of a case's course share (issue 16), over the Telegram stack of
`tests.e2e.test_telegram_relais`: moving the fake clock through the check-in dispatcher, a note
tagged through the guided `/note`, a message that sends two replies."""

from __future__ import annotations

from datetime import datetime

from bot.checkins.dispatcher import CheckinDispatcher
from bot.clock import FakeClock
from tests.e2e.test_telegram_relais import Stack
from tests.fakes.telegram_server import BotMessage

__all__ = ["SHARING_RECORD", "run_until", "send", "set_sharing_record", "tagged_note"]


async def run_until(dispatcher: CheckinDispatcher, clock: FakeClock, when: datetime) -> None:
    """Move the clock to `when`, ticking the dispatcher at every wake-up on the way (a
    reminder, an escalation step), as the timer of a running Relais would."""
    while (nxt := await dispatcher.next_wakeup()) is not None and nxt <= when:
        clock.set(max(nxt, clock.now()))
        await dispatcher.tick()
    clock.set(when)
    await dispatcher.tick()


async def send(s: Stack, chat: int, text: str, count: int = 2) -> list[BotMessage]:
    """What `chat` types, and the `count` messages it gets back."""
    await s.fake.user_says(chat, text)
    return await s.fake.next_messages(chat, count, timeout=10)


async def tagged_note(s: Stack, chat: int, case: str, text: str, tag_label: str) -> None:
    """A note through the guided `/note CASE`: the text typed, then the tag's button."""
    ask = await s.say(chat, f"/note {case}")
    assert f"Type the note for case {case}" in ask.text
    tags = await s.say(chat, text)
    assert tags.text == "Tag this note:"
    logged = await s.click(tags, tag_label)
    assert logged.text == f"Note logged on case {case}."


#: the disclosure form of the course tests: Probation hears of risk and progress, the housing
#: office of practical matters
SHARING_RECORD = (
    "allow Probation: risk, progress",
    "allow Housing office: practical",
    "signed 2026-01-02 J. Martin",
    "review 2026-07-01",
    "informed yes",
)


async def set_sharing_record(s: Stack, chat: int, case: str) -> None:
    """The case owner sets `SHARING_RECORD` from chat, one `/sharing` command a line."""
    for change in SHARING_RECORD:
        reply = await s.say(chat, f"/sharing {case} {change}")
        assert reply.text.startswith(f"The sharing record of case {case} is updated."), reply.text
