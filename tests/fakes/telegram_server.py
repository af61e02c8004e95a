"""The fake Telegram Bot API server: kept at this path for the tests and benchmarks that import
it; the code lives in the package tests/fakes/telegram/ (see tests/fakes/telegram/server.py)."""

from tests.fakes.telegram.entities import parse_entities
from tests.fakes.telegram.model import BotMessage, Call, FakeBotApiError, UpdateRef, utf16_len
from tests.fakes.telegram.server import FakeBotApi

__all__ = [
    "BotMessage",
    "Call",
    "FakeBotApi",
    "FakeBotApiError",
    "UpdateRef",
    "parse_entities",
    "utf16_len",
]
