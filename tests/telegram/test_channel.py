"""TelegramChannel end to end through PTB's real HTTP stack and the fake Bot API server."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel, TelegramLimits
from bot.channels.telegram_retry import RetryPolicy
from bot.clock import FakeClock
from bot.errors import ConfigError
from bot.messages import Button, Incoming, Reply
from tests.fakes.telegram_server import FakeBotApi
from tests.telegram.conftest import StartChannel
from tests.telegram.support import FAST_LIMITS, running_channel

CHOICES = (Button("Yes", "d.s1.1.yes"), Button("No", "d.s1.1.no"))


class EchoBot:
    """A small real handler: echoes text with two buttons, confirms a pressed button."""

    def __init__(self) -> None:
        self.seen: list[Incoming] = []

    async def __call__(self, incoming: Incoming) -> list[Reply]:
        self.seen.append(incoming)
        if incoming.button is not None:
            return [Reply(f"You chose {incoming.button}", answers_button=incoming.button)]
        if incoming.document is not None:
            data = await incoming.document.fetch()
            return [Reply(f"got {len(data)} bytes", attachment=("copy.png", data))]
        return [Reply(f"echo: {incoming.text}", buttons=CHOICES)]


async def test_a_message_becomes_an_incoming(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    bot = EchoBot()
    clock = FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    await start_channel(bot, clock=clock)
    ref = await fake.user_says(42, "/start ABC", first_name="Amina")
    await fake.next_message(42)
    [incoming] = bot.seen
    assert incoming == Incoming(
        channel="telegram",
        chat_id="42",
        user_id="42",
        event_id=str(ref.update_id),
        received_at=clock.now(),
        text="/start ABC",
        is_direct=True,
        encrypted=False,
        display_name="Amina",
    )


async def test_group_messages_are_not_direct_and_lose_the_bot_mention(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    bot = EchoBot()
    await start_channel(bot)
    await fake.user_says(-500, "/help@relais_test_bot now", user_id=43)
    await fake.next_message(-500)
    [incoming] = bot.seen
    assert (incoming.chat_id, incoming.user_id, incoming.is_direct) == ("-500", "43", False)
    assert incoming.text == "/help now"


async def test_buttons_are_answered_and_the_menu_shows_the_choice(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    bot = EchoBot()
    await start_channel(bot)
    await fake.user_says(42, "hello")
    menu = await fake.next_message(42)
    assert menu.text == "echo: hello"
    assert menu.rows == [["Yes"], ["No"]]  # one button per row
    ref = await fake.click(menu, "No")
    answer = await fake.next_message(42)
    assert answer.text == "You chose d.s1.1.no"
    assert bot.seen[-1].button == "d.s1.1.no"
    assert bot.seen[-1].event_id == str(ref.update_id)
    # the answer and the edit run beside the handler and the reply: wait for them
    await fake.wait_answered(ref.callback_query_id or "")
    edited = await fake.wait_edited(42, menu.message_id)
    assert edited.text == "echo: hello\n\n→ No"
    assert edited.buttons == []
    assert len(fake.calls("answerCallbackQuery")) == len(fake.calls("editMessageText")) == 1
    fake.assert_no_unread()


async def test_the_answer_and_the_edit_do_not_hold_up_the_reply(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    """On a slow network, answerCallbackQuery runs while the handler works and the edit of the
    pressed menu while the reply is sent: the reply waits for neither round trip. Both still
    end before the chat's next update is handled."""
    bot = EchoBot()
    handled: dict[str, float] = {}

    async def timed(incoming: Incoming) -> list[Reply]:
        handled[incoming.button or incoming.text or ""] = time.monotonic()
        return await bot(incoming)

    await start_channel(timed)
    await fake.user_says(42, "hello")
    menu = await fake.next_message(42)
    fake.delay("answerCallbackQuery", 2.0)
    fake.delay("editMessageText", 2.0)
    pressed = time.monotonic()
    ref = await fake.click(menu, "Yes")
    await fake.user_says(42, "next")  # queued behind the press in the chat's lane
    reply = await fake.next_message(42, timeout=10)
    assert reply.text == "You chose d.s1.1.yes"
    # Either round trip before the send would take 2 s; one after the other, 4 s.
    assert reply.sent_at - pressed < 1.5
    await fake.wait_answered(ref.callback_query_id or "", timeout=10)
    assert (await fake.wait_edited(42, menu.message_id, timeout=10)).buttons == []
    assert (await fake.next_message(42, timeout=10)).text == "echo: next"
    [answer] = fake.calls("answerCallbackQuery")
    [edit] = fake.calls("editMessageText")
    assert handled["next"] > max(answer.at, edit.at)
    fake.assert_no_unread()


async def test_a_failing_edit_never_stops_the_reply(
    fake: FakeBotApi, start_channel: StartChannel, caplog: pytest.LogCaptureFixture
) -> None:
    bot = EchoBot()
    channel = await start_channel(bot)
    await fake.user_says(42, "hello")
    await fake.user_says(42, "again")
    menus = await fake.next_messages(42, 2)
    fake.fail_next("editMessageText", 400, description="Bad Request: message can't be edited")
    ref = await fake.click(menus[0], "Yes")
    assert (await fake.next_message(42)).text == "You chose d.s1.1.yes"
    await fake.wait_answered(ref.callback_query_id or "")
    [edit] = await fake.wait_call("editMessageText")  # Telegram refused it: logged
    assert edit.status == 400

    typed = "what-was-typed-" + "4417"  # not a literal in this file (frames quote the source)

    async def broken(query: object) -> None:
        raise RuntimeError(f"unexpected, quoting {typed}")

    channel._calls.show_choice = broken  # type: ignore[method-assign]
    ref = await fake.click(menus[1], "No")
    assert (await fake.next_message(42)).text == "You chose d.s1.1.no"
    await fake.wait_answered(ref.callback_query_id or "")
    await fake.user_says(42, "done")  # handled once the press is completely done
    assert (await fake.next_message(42)).text == "echo: done"
    [record] = [r for r in caplog.records if "edit of the pressed menu" in r.getMessage()]
    assert record.levelname == "ERROR"
    assert f"update {ref.update_id} failed: RuntimeError" in record.getMessage()
    assert "what-was-typed-4417" not in record.getMessage()
    fake.assert_no_unread()


async def test_stop_cancels_a_press_still_being_answered_without_leaving_tasks(
    fake: FakeBotApi,
) -> None:
    bot = EchoBot()
    limits = TelegramLimits(drain_timeout=0.3, retry=FAST_LIMITS.retry)
    channel = TelegramChannel(fake.config(poll_timeout=1), fake.token, limits=limits)
    await channel.start(bot)
    await fake.user_says(42, "hello")
    menu = await fake.next_message(42)
    fake.delay("answerCallbackQuery", 30.0)  # Telegram never answers in time
    await fake.click(menu, "Yes")
    assert (await fake.next_message(42)).text == "You chose d.s1.1.yes"
    await fake.wait_edited(42, menu.message_id)
    started = time.monotonic()
    await channel.stop()  # the press is abandoned after drain_timeout, its answer cancelled
    assert time.monotonic() - started < 5.0
    left = [t for t in asyncio.all_tasks() if "_logged" in repr(t.get_coro())]
    assert left == []


async def test_a_failing_handler_still_answers_the_button_and_polling_goes_on(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    calls = 0

    async def fragile(incoming: Incoming) -> list[Reply]:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise RuntimeError("database down")
        return [Reply("back", buttons=CHOICES)]

    await start_channel(fragile)
    await fake.user_says(42, "first")
    assert "something went wrong" in (await fake.next_message(42)).text
    await fake.user_says(42, "again")
    await fake.next_message(42)  # second failure notice
    await fake.user_says(42, "third")
    menu = await fake.next_message(42)
    assert menu.text == "back"
    calls = 0  # the next (button) call fails
    ref = await fake.click(menu, "Yes")
    await fake.wait_answered(ref.callback_query_id or "")
    assert "something went wrong" in (await fake.next_message(42)).text


async def test_long_text_is_split_with_the_buttons_on_the_last_piece(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    long_text = "\n\n".join(f"Paragraph {i}: " + "x" * 1500 for i in range(6))

    async def verbose(incoming: Incoming) -> list[Reply]:
        return [Reply(long_text, buttons=CHOICES)]

    await start_channel(verbose)
    await fake.user_says(42, "tell me everything")
    pieces = await fake.next_messages(42, 3)
    assert [len(p.text) for p in pieces] == [3028, 3028, 3028]  # two paragraphs each
    assert "\n\n".join(p.text for p in pieces) == long_text
    assert [p.labels for p in pieces] == [[], [], ["Yes", "No"]]


async def test_user_text_is_escaped_for_html(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    await start_channel(EchoBot())
    await fake.user_says(42, "<b>not bold</b> & <script>")
    message = await fake.next_message(42)
    assert message.parse_mode == "HTML"
    assert message.text == "echo: <b>not bold</b> & <script>"
    assert message.raw_text == "echo: &lt;b&gt;not bold&lt;/b&gt; &amp; &lt;script&gt;"


async def test_command_menus_are_set_per_language(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    await start_channel(EchoBot())
    names = [name for name, _ in fake.commands()]
    assert names == [
        "start", "help", "sos", "crisis", "dialogs", "note", "notes", "cases", "checkins",
        "lang", "cancel",
    ]  # fmt: skip
    assert fake.commands() == fake.commands("en")
    assert dict(fake.commands("fr"))["sos"] == "Contacts d'urgence, tout de suite"


async def test_a_custom_command_menu(fake: FakeBotApi, start_channel: StartChannel) -> None:
    menu = {"fr": [("aide", "Aide")], "en": [("help", "Help")]}
    await start_channel(EchoBot(), commands=menu)
    assert fake.commands() == [("aide", "Aide")]  # the first language is everyone's default
    assert fake.commands("en") == [("help", "Help")]


async def test_429_is_honoured_and_the_reply_arrives(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    await start_channel(EchoBot())
    fake.fail_next("sendMessage", 429, retry_after=1)
    await fake.user_says(42, "hi")
    message = await fake.next_message(42, timeout=5)
    first, second = fake.calls("sendMessage")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0
    assert message.text == "echo: hi"


async def test_5xx_is_retried_with_backoff(fake: FakeBotApi, start_channel: StartChannel) -> None:
    await start_channel(EchoBot())
    fake.fail_next("sendMessage", 500, times=2)
    fake.fail_next("sendMessage", 502)
    await fake.user_says(42, "hi")
    assert (await fake.next_message(42)).text == "echo: hi"
    assert [c.status for c in fake.calls("sendMessage")] == [500, 500, 502, 200]


async def test_send_fails_after_bounded_retries(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    channel = await start_channel(EchoBot())
    await fake.user_says(42, "hi")
    await fake.next_message(42)
    fake.fail_next("sendMessage", 500, times=10)
    result = await channel.send_to_user("42", Reply("reminder: case K-12"))
    assert result.status == "failed"
    assert len([c for c in fake.calls("sendMessage") if c.status == 500]) == 5


async def test_forbidden_marks_the_user_unreachable(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    unreachable: list[str] = []

    async def mark(user_id: str) -> None:
        unreachable.append(user_id)

    channel = await start_channel(EchoBot(), on_unreachable=mark)
    await fake.user_says(77, "hi")
    await fake.next_message(77)
    fake.block(77)
    result = await channel.send_to_user("77", Reply("check-in for case K-3"))
    assert result.status == "unreachable"
    assert unreachable == ["77"]
    assert (await channel.send_to_user("999", Reply("x"))).status == "unreachable"  # no chat
    assert unreachable == ["77", "999"]


async def test_send_to_user_with_an_idempotency_key_sends_once(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    channel = await start_channel(EchoBot())
    await fake.user_says(42, "hi")
    await fake.next_message(42)
    results = await asyncio.gather(
        *(channel.send_to_user("42", Reply("page: case K-9"), "page-1") for _ in range(3))
    )
    again = await channel.send_to_user("42", Reply("page: case K-9"), "page-1")
    assert {r.message_id for r in [*results, again]} == {results[0].message_id}
    assert (await fake.next_message(42)).text == "page: case K-9"
    fake.assert_no_unread()


async def test_a_flooding_chat_is_paced_without_slowing_another(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    limits = TelegramLimits(chat_rate=100.0, chat_burst=10, retry=FAST_LIMITS.retry)
    await start_channel(EchoBot(), limits=limits)
    await fake.user_says(1, "warm up")
    await fake.user_says(2, "warm up")
    await fake.next_message(1)
    await fake.next_message(2)
    for i in range(100):
        await fake.user_says(1, f"flood {i}")
    started = time.monotonic()
    await fake.user_says(2, "I need help")
    answer = await fake.next_message(2, timeout=5)
    other_chat_latency = time.monotonic() - started
    assert answer.text == "echo: I need help"
    flood = await fake.next_messages(1, 101, timeout=10)
    flood_duration = time.monotonic() - started
    notices = [m for m in flood if "faster than I can answer" in m.text]
    echoes = [m.text for m in flood if m not in notices]
    assert len(notices) == 1
    assert echoes == [f"echo: flood {i}" for i in range(100)]  # in order, none lost
    assert flood_duration >= 0.85  # 90 beyond the burst at 100/s
    assert other_chat_latency < flood_duration / 3


async def test_documents_are_downloaded_and_attachments_sent(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    bot = EchoBot()
    await start_channel(bot)
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10
    await fake.user_sends_document(42, "draft.png", picture, mime_type="image/png")
    reply = await fake.next_message(42)
    [incoming] = bot.seen
    assert incoming.document is not None
    assert (incoming.document.file_name, incoming.document.size) == ("draft.png", len(picture))
    assert incoming.document.mime_type == "image/png"
    assert reply.kind == "photo"
    assert reply.content == picture
    assert reply.text == f"got {len(picture)} bytes"


async def test_a_non_png_attachment_is_a_document(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    async def report(incoming: Incoming) -> list[Reply]:
        return [Reply("x" * 2000, buttons=CHOICES, attachment=("report.pdf", b"%PDF-1.7"))]

    await start_channel(report)
    await fake.user_says(42, "/report")
    text, document = await fake.next_messages(42, 2)
    assert (text.kind, text.labels) == ("text", [])
    assert (document.kind, document.file_name, document.content) == (
        "document",
        "report.pdf",
        b"%PDF-1.7",
    )
    assert document.labels == ["Yes", "No"]


async def test_updates_are_handled_once_across_a_restart(
    fake: FakeBotApi, start_channel: StartChannel
) -> None:
    bot = EchoBot()
    first = await start_channel(bot)
    await fake.user_says(42, "one")
    menu = await fake.next_message(42)
    await first.stop()
    await fake.user_says(42, "two")  # arrives while the bot is down
    await start_channel(bot)
    assert (await fake.next_message(42)).text == "echo: two"
    ref = await fake.click(menu, "Yes")  # a button from before the restart still works
    assert (await fake.next_message(42)).text == "You chose d.s1.1.yes"
    await fake.wait_answered(ref.callback_query_id or "")
    assert (await fake.wait_edited(42, menu.message_id)).text.endswith("→ Yes")
    event_ids = [i.event_id for i in bot.seen]
    assert len(event_ids) == len(set(event_ids)) == 3


async def test_stop_handles_every_queued_update_first(fake: FakeBotApi) -> None:
    bot = EchoBot()
    slow = TelegramLimits(chat_rate=1.0, chat_burst=1, retry=FAST_LIMITS.retry)
    channel = TelegramChannel(fake.config(poll_timeout=1), fake.token, limits=slow)
    await channel.start(bot)
    for i in range(20):
        await fake.user_says(42, f"m{i}")
    await fake.wait_for(lambda: len(bot.seen) >= 1, what="the first update")
    await channel.stop()  # would take 19 s at 1/s: stop lifts the pacing
    assert [i.text for i in bot.seen] == [f"m{i}" for i in range(20)]
    assert not channel.running


async def test_a_rejected_token_is_a_config_error(fake: FakeBotApi) -> None:
    channel = TelegramChannel(fake.config(), "1:not-the-token")
    with pytest.raises(ConfigError, match="rejected the bot token"):
        await channel.start(EchoBot())


def test_it_is_a_channel(fake: FakeBotApi) -> None:
    channel: Channel = TelegramChannel(fake.config(), fake.token)  # checked by mypy
    assert channel.name == "telegram"


def test_the_retry_policy_default_is_bounded() -> None:
    policy = RetryPolicy()
    assert policy.attempts == 5
    assert sum(min(policy.max_delay, policy.base_delay * 2**i) for i in range(4)) < 10


async def test_the_support_helper_runs_and_stops_a_channel(fake: FakeBotApi) -> None:
    async with running_channel(fake, EchoBot()) as channel:
        assert channel.running
        await fake.user_says(42, "hi")
        assert (await fake.next_message(42)).text == "echo: hi"
    assert not channel.running
    assert (await channel.send_to_user("42", Reply("late"))).status == "failed"
