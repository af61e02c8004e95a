"""Logs carry ids only: never a text, a name, a file name or the bot token."""

from __future__ import annotations

import logging

import pytest
from telegram.error import NetworkError

from bot.channels.telegram import quiet_library_logs
from bot.channels.telegram_retry import describe_error
from bot.messages import Incoming, Reply
from tests.fakes.telegram_server import FakeBotApi
from tests.telegram.conftest import StartChannel

SECRET_TEXT = "Notebody-about-relapse-7731"
SECRET_NAME = "Secretname"


async def test_nothing_typed_or_named_reaches_the_logs(
    fake: FakeBotApi, start_channel: StartChannel, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    async def handler(incoming: Incoming) -> list[Reply]:
        if incoming.document is not None:
            await incoming.document.fetch()
        if incoming.text and "fail" in incoming.text:
            raise ValueError(f"cannot handle {incoming.text!r} from {incoming.display_name}")
        return [Reply(f"{incoming.text} {incoming.display_name}")]

    await start_channel(handler)
    await fake.user_says(42, f"{SECRET_TEXT} fail", first_name=SECRET_NAME)
    await fake.next_message(42)
    fake.fail_next("sendMessage", 500)
    fake.fail_next("sendMessage", 429, retry_after=1, description="Too Many Requests")
    await fake.user_says(42, SECRET_TEXT)
    await fake.next_message(42)
    await fake.user_sends_document(42, f"{SECRET_TEXT}.yaml", b"x")
    await fake.next_message(42)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "handler failed on update" in logged  # the failure is logged, by ids
    for secret in (SECRET_TEXT, SECRET_NAME, fake.token):
        assert secret not in logged


def test_error_descriptions_mask_the_token() -> None:
    error = NetworkError("httpx.ConnectError: http://x/bot123456789:AAbbCCddEEffGGhhIIjjKK/getMe")
    assert describe_error(error) == "httpx.ConnectError: http://x/bot<token>/getMe"


def test_quieting_never_makes_a_logger_more_verbose() -> None:
    telegram_logger = logging.getLogger("telegram")
    before = telegram_logger.level
    try:
        telegram_logger.setLevel(logging.ERROR)
        quiet_library_logs()
        assert telegram_logger.level == logging.ERROR
        telegram_logger.setLevel(logging.DEBUG)
        quiet_library_logs()
        assert telegram_logger.level == logging.INFO
        assert logging.getLogger("telegram.ext").getEffectiveLevel() == logging.INFO
    finally:
        telegram_logger.setLevel(before)
