"""The durable inbox of a channel: updates are kept (encrypted) from reception until the chat
layer has handled them, so that a killed process replays what it had received but not handled.

A channel stores each received batch (one transaction), then confirms it to its server; at
start it replays `pending_updates`; every few seconds it calls `forget_handled_updates`. An
entry is handled once its event id is in `processed_updates` (`begin_turn`). Entries older than
`PROCESSED_UPDATES_KEPT` are removed by `expire_sessions`, handled or not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.usecases.base import EntryScope, UseCases, channel_entry

__all__ = ["InboxUseCases"]


class InboxUseCases(UseCases):
    @channel_entry("inbox.store")
    async def store_updates(
        self, scope: EntryScope, channel: str, entries: Sequence[tuple[str, dict[str, Any]]]
    ) -> None:
        """Keep received updates (event id, JSON payload) in one transaction; an entry kept
        already is left as it is."""
        await scope.tx.inbox.put_many(channel=channel, entries=entries, now=scope.tx.now)

    @channel_entry("inbox.pending")
    async def pending_updates(
        self, scope: EntryScope, channel: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """(event id, payload) of the kept updates not handled yet, oldest first."""
        return await scope.tx.inbox.pending(channel=channel)

    @channel_entry("inbox.forget")
    async def forget_handled_updates(self, scope: EntryScope, channel: str) -> int:
        """Remove the channel's kept updates that have been handled; returns how many."""
        return await scope.tx.inbox.forget_handled(channel=channel)
