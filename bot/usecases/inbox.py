"""The durable inbox of a channel: updates are kept (encrypted) from reception until they are
answered, so that a killed process replays what it had received but not answered.

A channel stores each received batch (one call, which also forgets the updates answered
since the last one), then confirms it to its server; at start it replays `pending_updates`.
Entries older than `PROCESSED_UPDATES_KEPT` are removed by `expire_sessions`, answered or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.usecases.base import EntryScope, UseCases, channel_entry, channel_statements

__all__ = ["InboxUseCases"]


class InboxUseCases(UseCases):
    @channel_statements("inbox.store")
    async def store_updates(
        self,
        scope: EntryScope,
        channel: str,
        entries: Sequence[tuple[str, dict[str, Any]]],
        answered: Sequence[str] = (),
    ) -> None:
        """Keep received updates (event id, JSON payload) and forget the `answered` ones, in
        one call (autocommit: each statement stands alone); an entry kept already is left as it
        is."""
        await scope.tx.inbox.keep(
            channel=channel, entries=entries, answered=answered, now=scope.tx.now
        )

    @channel_entry("inbox.pending")
    async def pending_updates(
        self, scope: EntryScope, channel: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """(event id, payload) of the kept updates not answered yet, oldest first."""
        return await scope.tx.inbox.pending(channel=channel)

    @channel_statements("inbox.forget")
    async def forget_updates(
        self, scope: EntryScope, channel: str, answered: Sequence[str]
    ) -> int:
        """Remove the channel's kept updates that have been answered; returns how many."""
        return await scope.tx.inbox.forget(channel=channel, event_ids=answered)
