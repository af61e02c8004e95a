"""The fake Bot API server itself: JSON shapes, long polling, validation, faults, files."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import ClientSession

from tests.fakes.telegram_server import FakeBotApi, FakeBotApiError, parse_entities


async def api(
    session: ClientSession, fake: FakeBotApi, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    """Call the fake the way PTB does: form fields, complex values JSON-encoded."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with session.post(f"{fake.base_url}{fake.token}/{method}", data=form) as response:
        return response.status, await response.json()


@pytest.fixture
async def http() -> Any:
    async with ClientSession() as session:
        yield session


async def test_get_me_and_wrong_token(fake: FakeBotApi, http: ClientSession) -> None:
    status, body = await api(http, fake, "getMe")
    assert status == 200
    assert body["ok"] is True
    me = body["result"]
    assert me["is_bot"] is True
    assert me["username"] == "relais_test_bot"
    assert {"can_join_groups", "can_read_all_group_messages", "supports_inline_queries"} <= set(me)
    async with http.post(f"{fake.base_url}1:wrong/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }


async def test_long_polling_wakes_on_a_new_update_and_offset_confirms(
    fake: FakeBotApi, http: ClientSession
) -> None:
    poll = asyncio.create_task(api(http, fake, "getUpdates", timeout=10))
    await fake.wait_for(lambda: fake.polls_started == 1, timeout=2, what="the long poll")
    ref = await fake.user_says(5, "/start ABC")
    async with asyncio.timeout(2):  # far less than the 10 s long poll
        status, body = await poll
    assert status == 200
    [update] = body["result"]
    assert update["update_id"] == ref.update_id
    message = update["message"]
    assert message["text"] == "/start ABC"
    assert message["chat"] == {"id": 5, "type": "private", "first_name": "User5"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    _, again = await api(http, fake, "getUpdates", offset=ref.update_id + 1, timeout=0)
    assert again["result"] == []
    assert fake.confirmed_offset == ref.update_id + 1


async def test_a_second_poller_terminates_the_first_with_409(
    fake: FakeBotApi, http: ClientSession
) -> None:
    first = asyncio.create_task(api(http, fake, "getUpdates", timeout=5))
    await fake.wait_for(lambda: fake.polls_started == 1, timeout=2, what="first poll")
    second = asyncio.create_task(api(http, fake, "getUpdates", timeout=5))
    status, body = await asyncio.wait_for(first, 2)
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")
    await fake.user_says(6, "hello")
    status, body = await asyncio.wait_for(second, 2)
    assert status == 200
    assert body["result"][0]["message"]["text"] == "hello"


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        ({"text": "   "}, "Bad Request: message text is empty"),
        (
            {
                "text": "pick",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"text": "<foo>hi</foo>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0',
        ),
        (
            {"text": "<b>open", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Can't find end tag corresponding to start "
            'tag "b"',
        ),
        (
            {"text": "1.5", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
            "with the preceding '\\'",
        ),
    ],
)
async def test_send_message_is_validated_like_telegram(
    fake: FakeBotApi, http: ClientSession, params: dict[str, Any], description: str
) -> None:
    await fake.user_says(7, "hi")
    status, body = await api(http, fake, "sendMessage", chat_id=7, **params)
    assert (status, body) == (400, {"ok": False, "error_code": 400, "description": description})


async def test_html_is_parsed_into_what_the_user_sees(
    fake: FakeBotApi, http: ClientSession
) -> None:
    await fake.user_says(7, "hi")
    text = "<b>Bold</b> &lt;not a tag&gt; &amp; 4096 × 🙂"
    status, body = await api(http, fake, "sendMessage", chat_id=7, text=text, parse_mode="HTML")
    assert status == 200
    assert body["result"]["text"] == "Bold <not a tag> & 4096 × 🙂"
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    message = await fake.next_message(7)
    assert message.raw_text == text
    assert message.text == "Bold <not a tag> & 4096 × 🙂"
    status, body = await api(http, fake, "sendMessage", chat_id=999, text="nobody")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


@pytest.mark.parametrize(
    ("mode", "text", "plain", "entities"),
    [
        (
            "HTML",
            '🙂 <b>bold <i>𝄞 both</i></b> &#x1F642;<a href="https://e.x/">link é</a>'
            " &amp; <u></u>end",
            "🙂 bold 𝄞 both 🙂link é & end",
            [  # offsets and lengths in UTF-16 units: 🙂 and 𝄞 count 2; closing order
                {"type": "italic", "offset": 8, "length": 7},
                {"type": "bold", "offset": 3, "length": 12},
                {"type": "text_link", "offset": 18, "length": 6, "url": "https://e.x/"},
            ],
        ),
        (
            "HTML",
            "xxx<tg-spoiler>🙂🙂</tg-spoiler>&lt;<code>a&b</code>",
            "xxx🙂🙂<a&b",
            [
                {"type": "spoiler", "offset": 3, "length": 4},
                {"type": "code", "offset": 8, "length": 3},
            ],
        ),
        ("MarkdownV2", "*bold* _🙂_ \\. ||spoiler|| \\", "bold 🙂 . spoiler \\", []),
        ("Markdown", "*b* _🙂 `c_ x", "b 🙂 `c x", []),
    ],
)
def test_entities_count_utf16_units(
    mode: str, text: str, plain: str, entities: list[dict[str, Any]]
) -> None:
    assert parse_entities(text, mode) == (plain, entities)


@pytest.mark.parametrize(
    ("mode", "text", "detail"),
    [  # byte offsets in UTF-8: 🙂 is 4 bytes, é 2
        (
            "HTML",
            "🙂é <b>x</i>",
            'Unmatched end tag at byte offset 11, expected "</b>", found "</i>"',
        ),
        ("HTML", "🙂é <blink>", 'Unsupported start tag "blink" at byte offset 7'),
        ("HTML", "🙂é <b", "Can't find end of the tag at byte offset 7"),
        ("Markdown", "🙂é *open", "Can't find end of the entity starting at byte offset 7"),
        (
            "MarkdownV2",
            "🙂 1.5",
            "Character '.' is reserved and must be escaped with the preceding '\\'",
        ),
    ],
)
def test_parse_errors_give_byte_offsets(mode: str, text: str, detail: str) -> None:
    with pytest.raises(FakeBotApiError) as error:
        parse_entities(text, mode)
    assert error.value.description == f"Bad Request: can't parse entities: {detail}"


async def test_injected_faults_have_telegram_shapes(fake: FakeBotApi, http: ClientSession) -> None:
    await fake.user_says(8, "hi")
    fake.fail_next("sendMessage", 429, retry_after=3)
    fake.fail_next("sendMessage", 500)
    fake.block(8)
    assert await api(http, fake, "sendMessage", chat_id=8, text="a") == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    status, body = await api(http, fake, "sendMessage", chat_id=8, text="a")
    assert (status, body["description"]) == (500, "Internal Server Error")
    status, body = await api(http, fake, "sendMessage", chat_id=8, text="a")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    fake.unblock(8)
    status, _ = await api(http, fake, "sendMessage", chat_id=8, text="a")
    assert status == 200
    assert [c.status for c in fake.calls("sendMessage")] == [429, 500, 403, 200]
    assert (await fake.next_message(8)).text == "a"
    fake.assert_no_unread()


async def test_edits_callback_answers_and_commands(fake: FakeBotApi, http: ClientSession) -> None:
    await fake.user_says(9, "hi")
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "d.1.yes"}]]}
    _, sent = await api(http, fake, "sendMessage", chat_id=9, text="Sure?", reply_markup=keyboard)
    message_id = sent["result"]["message_id"]
    message = await fake.next_message(9)
    ref = await fake.click(message, "Yes")
    with pytest.raises(AssertionError, match="no button"):
        await fake.press(9, message_id, "d.1.other")
    assert (await api(http, fake, "answerCallbackQuery", callback_query_id=ref.callback_query_id))[
        0
    ] == 200
    status, body = await api(
        http, fake, "answerCallbackQuery", callback_query_id=ref.callback_query_id
    )
    assert status == 400
    assert "query is too old" in body["description"]
    status, body = await api(
        http,
        fake,
        "editMessageText",
        chat_id=9,
        message_id=message_id,
        text="Sure?",
        reply_markup=keyboard,
    )
    assert status == 400
    assert body["description"].startswith("Bad Request: message is not modified")
    status, _ = await api(http, fake, "editMessageReplyMarkup", chat_id=9, message_id=message_id)
    assert status == 200
    assert fake.message(9, message_id).buttons == []
    commands = [{"command": "help", "description": "Aide"}]
    await api(http, fake, "setMyCommands", commands=commands, language_code="fr")
    assert fake.commands("fr") == [("help", "Aide")]
    assert fake.commands() == []
    status, body = await api(http, fake, "getMyCommands", language_code="fr")
    assert body["result"] == commands
    status, body = await api(http, fake, "setMyCommands", commands=[{"command": "Bad!"}])
    assert body["description"] == "Bad Request: BOT_COMMAND_INVALID"


async def test_files_upload_and_download(fake: FakeBotApi, http: ClientSession) -> None:
    ref = await fake.user_sends_document(10, "draft.yaml", b"id: x\n", mime_type="text/yaml")
    status, body = await api(http, fake, "getFile", file_id=ref.file_id)
    assert status == 200
    assert body["result"]["file_size"] == 6
    async with http.get(f"{fake.base_file_url}{fake.token}/{body['result']['file_path']}") as r:
        assert r.status == 200
        assert await r.read() == b"id: x\n"
    status, body = await api(http, fake, "getFile", file_id="nope")
    assert (status, body["description"]) == (400, "Bad Request: invalid file_id")


async def test_waiters_for_one_chat_take_its_messages_in_turn(
    fake: FakeBotApi, http: ClientSession
) -> None:
    await fake.user_says(12, "hi")
    await fake.user_says(13, "hi")
    fake.add_user(14)
    first = asyncio.create_task(fake.next_message(12))
    second = asyncio.create_task(fake.next_message(12))
    other = asyncio.create_task(fake.next_message(13, timeout=0.3))
    sent = asyncio.create_task(fake.wait_call("sendMessage", count=3))
    for chat_id, text in ((12, "one"), (12, "two"), (14, "elsewhere")):
        await api(http, fake, "sendMessage", chat_id=chat_id, text=text)
    assert sorted([(await first).text, (await second).text]) == ["one", "two"]
    assert [c.params["text"] for c in await sent] == ["one", "two", "elsewhere"]
    with pytest.raises(AssertionError, match="to chat 13"):
        await other


async def test_waiting_times_out_with_a_helpful_message(fake: FakeBotApi) -> None:
    with pytest.raises(AssertionError, match="waiting for a message from the bot to chat 11"):
        await fake.next_message(11, timeout=0.05)


async def test_a_user_added_without_a_message_can_be_written_to(
    fake: FakeBotApi, http: ClientSession
) -> None:
    fake.add_user(321, "Quiet")
    status, _ = await api(http, fake, "sendMessage", chat_id=321, text="reminder")
    assert status == 200
    assert (await fake.next_message(321)).text == "reminder"
