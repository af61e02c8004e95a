"""End-to-end tests: real channel adapters (fake Bot API server, real Synapse), real database."""

from tests.chat.conftest import chat_content

__all__ = ["chat_content"]
