"""What the database holds, read the way the chat turn reads it (for assertions)."""

from __future__ import annotations

from typing import Any

from storage.records import StoredSession


async def stored_session(relais: Any, channel: str, chat_id: str) -> StoredSession | None:
    """The chat's stored conversation, or None (none, or expired: an expired one is removed,
    as `begin_turn` does)."""
    async with relais.db.transaction(relais.clock.now()) as tx:
        found = await tx.sessions.get(channel=channel, chat_id=str(chat_id))
        if found is not None and found.expires_at <= tx.now:
            await tx.sessions.delete(channel=channel, chat_id=str(chat_id))
            return None
        return found
