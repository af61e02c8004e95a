"""Fixtures of the structured exit's tests: the chat world (tests/chat/conftest.py)."""

from tests.chat.conftest import chat_content, world

__all__ = ["chat_content", "world"]
