"""Dialog sessions kept in the database (encrypted state) and update deduplication."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.usecases.base import EntryScope, UseCases, channel_entry, channel_statements
from bot.usecases.usage_expiry import count_timeouts
from storage.webhook_claims import WebhookClaims

__all__ = ["PROCESSED_UPDATES_KEPT", "SessionUseCases"]

#: how long processed update ids are remembered (Telegram keeps pending updates 24 h)
PROCESSED_UPDATES_KEPT = timedelta(days=2)


class SessionUseCases(UseCases):
    @channel_statements("session.save")
    async def save_session(
        self,
        scope: EntryScope,
        channel: str,
        chat_id: str,
        state: dict[str, Any],
        *,
        practitioner_id: str | None = None,
        dialog_id: str | None = None,
        dialog_version: int | None = None,
        expires_at: datetime | None = None,
        session_id: str | None = None,
    ) -> None:
        """Store the engine state (JSON-able dict) for the chat; expiry from the config.
        `session_id`: the id of the chat's session as loaded this turn, if any."""
        now = scope.tx.now
        await scope.tx.sessions.put(
            channel=channel,
            chat_id=str(chat_id),
            practitioner_id=practitioner_id,
            state=state,
            dialog_id=dialog_id,
            dialog_version=dialog_version,
            now=now,
            expires_at=expires_at or now + self.config.sessions.expiry,
            session_id=session_id,
        )

    @channel_statements("session.end")
    async def end_session(self, scope: EntryScope, channel: str, chat_id: str) -> bool:
        return await scope.tx.sessions.delete(channel=channel, chat_id=str(chat_id))

    @channel_entry("session.expire")
    async def expire_sessions(self, scope: EntryScope) -> int:
        """Remove expired sessions, old processed update ids, old inbound updates (handled or
        not: Telegram would not resend them either) and old failed invite attempts;
        returns how many sessions were removed. Call it now and then (e.g. hourly)."""
        now = scope.tx.now
        await scope.tx.sessions.forget_processed_before(before=now - PROCESSED_UPDATES_KEPT)
        await scope.tx.people.forget_attempts_before(before=now - PROCESSED_UPDATES_KEPT)
        await scope.tx.inbox.forget_before(before=now - PROCESSED_UPDATES_KEPT)
        await count_timeouts(scope.tx, await scope.tx.sessions.expired(now=now))
        await WebhookClaims(scope.tx.conn).forget_before(before=now - PROCESSED_UPDATES_KEPT)
        return await scope.tx.sessions.delete_expired(now=now)

    @channel_entry("update.dedup")
    async def first_time(self, scope: EntryScope, channel: str, event_id: str) -> bool:
        """True the first time this update id is seen on this channel (even across restarts)."""
        return await scope.tx.sessions.mark_processed(
            channel=channel, event_id=str(event_id), now=scope.tx.now
        )
