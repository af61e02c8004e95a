"""End-to-end tests: real channel adapters (fake Bot API server, real Synapse), real database."""

from tests.chat.conftest import chat_content
from tests.matrix.conftest import bots, practitioners, synapse, unique

__all__ = ["bots", "chat_content", "practitioners", "synapse", "unique"]
