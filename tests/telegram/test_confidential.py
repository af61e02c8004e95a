"""Whether a Telegram chat may carry case notes is the operator's call, declared by the adapter
(`Incoming.confidential`): never by default (Telegram is not end-to-end encrypted), and only
under `[telegram] allow_case_notes`."""

from __future__ import annotations

from bot.messages import Incoming, Reply
from tests.fakes.telegram_server import FakeBotApi
from tests.telegram.conftest import StartChannel


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Incoming] = []

    async def __call__(self, incoming: Incoming) -> list[Reply]:
        self.seen.append(incoming)
        return [Reply("ok")]


async def test_a_telegram_chat_is_not_confidential_by_default(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    bot = Recorder()
    await start_channel(bot)
    await fake.user_says(42, "/note K-1 hello")
    await fake.next_message(42)
    [incoming] = bot.seen
    assert (incoming.encrypted, incoming.confidential) == (False, False)


async def test_allow_case_notes_makes_telegram_chats_confidential(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    bot = Recorder()
    await start_channel(bot, config=fake.config(poll_timeout=1, allow_case_notes=True))
    await fake.user_says(42, "/note K-1 hello")
    await fake.next_message(42)
    await fake.user_says(42, "/notes")
    await fake.next_message(42)
    assert [(i.encrypted, i.confidential) for i in bot.seen] == [(False, True), (False, True)]
