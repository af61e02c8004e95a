"""The durable inbox: a polled batch is kept before Telegram is told it was received, kept
updates not handled yet are replayed at start, a webhook update that could not be kept is
answered 500 (Telegram sends it again)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientSession

from bot.channels.base import Inbox, InboxEntry
from bot.channels.telegram import TelegramChannel
from bot.messages import Incoming, Reply
from tests.fakes.telegram_server import FakeBotApi
from tests.telegram.conftest import StartChannel
from tests.telegram.support import FAST_LIMITS
from tests.telegram.test_webhook import SECRET, free_port


class MemoryInbox:
    """The inbox as `relais run` binds it, in memory. `handled` plays processed_updates (the
    chat layer's dedupe): an update handled before is answered only when replayed."""

    def __init__(self, fake: FakeBotApi | None = None) -> None:
        self.kept: dict[str, dict[str, Any]] = {}
        self.handled: set[str] = set()
        self.fail_stores = 0
        self.stores: list[list[str]] = []
        self.forgotten: list[str] = []
        self.offset_at_store: list[int] = []
        self._fake = fake

    async def store(self, entries: list[InboxEntry], answered: list[str]) -> None:
        if self.fail_stores:
            self.fail_stores -= 1
            raise OSError("disk full")
        if self._fake is not None:
            self.offset_at_store.append(self._fake.confirmed_offset)
        self.stores.append([event_id for event_id, _ in entries])
        for event_id, payload in entries:
            self.kept.setdefault(event_id, payload)
        await self.forget(answered)

    async def pending(self) -> list[InboxEntry]:
        return list(self.kept.items())

    async def forget(self, answered: list[str]) -> int:
        self.forgotten.extend(answered)
        return sum(self.kept.pop(event_id, None) is not None for event_id in answered)

    def bound(self) -> Inbox:
        return Inbox(self.store, self.pending, self.forget)

    def handler(self, seen: list[Incoming]) -> Any:
        async def handle(incoming: Incoming) -> list[Reply]:
            seen.append(incoming)
            if incoming.event_id in self.handled:  # processed_updates
                return [Reply(f"recovered: {incoming.text}")] if incoming.replayed else []
            self.handled.add(incoming.event_id)
            return [Reply(f"echo: {incoming.text}")]

        return handle


def _message(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "A"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat_id, "type": "private", "first_name": "A"},
            "from": user,
            "text": text,
        },
    }


async def test_a_batch_is_kept_before_it_is_confirmed(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    inbox = MemoryInbox(fake)
    seen: list[Incoming] = []
    await start_channel(inbox.handler(seen), inbox=inbox.bound())
    refs = [await fake.user_says(40 + n, f"m{n}") for n in range(3)]
    for n in range(3):
        assert (await fake.next_message(40 + n)).text == f"echo: m{n}"
    kept = [event_id for batch in inbox.stores for event_id in batch]
    assert kept == [str(ref.update_id) for ref in refs]
    # when each batch was stored, Telegram had not been told it was received
    for batch, offset in zip(inbox.stores, inbox.offset_at_store, strict=True):
        assert offset <= min(int(e) for e in batch)
    await fake.wait_for(
        lambda: fake.confirmed_offset > refs[-1].update_id, what="the batch confirmed"
    )


async def test_a_batch_that_cannot_be_kept_is_not_confirmed_and_comes_again(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    inbox = MemoryInbox(fake)
    inbox.fail_stores = 3
    seen: list[Incoming] = []
    await start_channel(inbox.handler(seen), inbox=inbox.bound())
    ref = await fake.user_says(42, "kept at last")
    assert (await fake.next_message(42)).text == "echo: kept at last"
    assert inbox.fail_stores == 0
    assert inbox.offset_at_store[0] <= ref.update_id  # not confirmed while failing
    assert [i.event_id for i in seen] == [str(ref.update_id)]
    fake.assert_no_unread()


async def test_kept_updates_are_replayed_at_start_in_order(fake: FakeBotApi) -> None:
    inbox = MemoryInbox()
    # a killed process had kept these and answered none; 3 was handled (its turn began)
    for update_id, chat_id in ((7, 42), (3, 42), (5, 43), (4, 42)):
        inbox.kept[str(update_id)] = _message(update_id, chat_id, f"u{update_id}")
    inbox.handled.add("3")
    for chat_id in (42, 43):
        fake._chat(chat_id, fake._user(chat_id, "A", None))
    seen: list[Incoming] = []
    channel = TelegramChannel(
        fake.config(poll_timeout=1), fake.token, limits=FAST_LIMITS, inbox=inbox.bound()
    )
    await channel.start(inbox.handler(seen))
    try:
        # the one handled before is not handled again, but never left unanswered
        assert (await fake.next_message(42)).text == "recovered: u3"
        assert (await fake.next_message(42)).text == "echo: u4"
        assert (await fake.next_message(42)).text == "echo: u7"
        assert (await fake.next_message(43)).text == "echo: u5"
        # polling goes on after the replay
        await fake.user_says(42, "new")
        assert (await fake.next_message(42)).text == "echo: new"
    finally:
        await channel.stop()
    assert [i.event_id for i in seen if i.chat_id == "42"][:3] == ["3", "4", "7"]
    assert [i.replayed for i in seen if i.chat_id == "42"] == [True, True, True, False]
    assert inbox.kept == {}  # every answered update is forgotten (stop flushes the last)
    fake.assert_no_unread()
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "telegram-polling"]


async def test_an_update_is_forgotten_only_once_answered(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    inbox = MemoryInbox(fake)
    seen: list[Incoming] = []
    release = asyncio.Event()
    echo = inbox.handler(seen)

    async def slow(incoming: Incoming) -> list[Reply]:
        await release.wait()
        return await echo(incoming)

    await start_channel(slow, inbox=inbox.bound())
    ref = await fake.user_says(45, "wait for me")
    await fake.wait_for(lambda: seen or inbox.stores, what="the update kept")
    await asyncio.sleep(1.5)  # longer than FORGET_DELAY: still kept while unanswered
    assert str(ref.update_id) in inbox.kept
    release.set()
    assert (await fake.next_message(45)).text == "echo: wait for me"
    await fake.wait_for(lambda: str(ref.update_id) not in inbox.kept, what="forgotten")
    assert inbox.forgotten == [str(ref.update_id)]


async def test_webhook_answers_500_when_the_update_cannot_be_kept(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/relais/telegram"
    config = fake.config(mode="webhook", webhook_url=url, webhook_port=port)
    inbox = MemoryInbox()
    seen: list[Incoming] = []
    await start_channel(
        inbox.handler(seen), config=config, webhook_secret=SECRET, inbox=inbox.bound()
    )
    async with ClientSession() as http:
        inbox.fail_stores = 1
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with http.post(url, json=_message(900, 42, "x"), headers=headers) as response:
            assert response.status == 500
    assert seen == []
    # Telegram (the fake) retries a delivery answered 500: handled once, then
    inbox.fail_stores = 1
    fake._chat(42, fake._user(42, "A", None))
    ref = await fake.user_says(42, "real")
    assert (await fake.next_message(42)).text == "echo: real"
    assert [(u, s) for u, s in fake.webhook_deliveries if u == ref.update_id] == [
        (ref.update_id, 500),
        (ref.update_id, 200),
    ]
    assert [i.event_id for i in seen] == [str(ref.update_id)]
    assert [str(ref.update_id)] in inbox.stores
