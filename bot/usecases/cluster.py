"""More than one process on one database: leases and webhook claims (bot/operations/lease.py
and bot/channels/telegram_cluster.py use them; storage/leases.py, storage/webhook_claims.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.usecases.base import EntryScope, UseCases, channel_entry, channel_statements
from storage.leases import Lease, Leases
from storage.webhook_claims import WebhookClaims

__all__ = ["ClusterUseCases"]


class ClusterUseCases(UseCases):
    @channel_entry("lease.take")
    async def take_lease(
        self, scope: EntryScope, name: str, *, holder: str, host: str, pid: int, ttl: timedelta
    ) -> Lease:
        """Take the named lease if it is free, expired or ours; returns its holder now."""
        return await Leases(scope.tx.conn).take(
            name=name, holder=holder, host=host, pid=pid, now=scope.tx.now, ttl=ttl
        )

    @channel_statements("lease.renew")
    async def renew_lease(
        self, scope: EntryScope, name: str, *, holder: str, ttl: timedelta
    ) -> bool:
        """Push the lease's expiry on; False if it is no longer ours."""
        return await Leases(scope.tx.conn).renew(
            name=name, holder=holder, now=scope.tx.now, ttl=ttl
        )

    @channel_statements("lease.release")
    async def release_lease(self, scope: EntryScope, name: str, *, holder: str) -> None:
        await Leases(scope.tx.conn).release(name=name, holder=holder)

    @channel_statements("webhook.claim")
    async def claim_update(
        self,
        scope: EntryScope,
        channel: str,
        update_id: int,
        *,
        chat_key: str,
        holder: str,
        stale: timedelta,
    ) -> bool:
        """True if this process claimed the update (it handles it); False if another live one
        has (the claim of a process whose lease `webhook:<holder>` expired is taken over; one
        without a lease, once older than `stale`)."""
        return await WebhookClaims(scope.tx.conn).claim(
            channel=channel,
            update_id=update_id,
            chat_key=chat_key,
            holder=holder,
            now=scope.tx.now,
            stale_before=scope.tx.now - stale,
        )

    @channel_statements("webhook.earlier")
    async def earlier_updates_pending(
        self, scope: EntryScope, channel: str, update_id: int, *, chat_key: str, stale: timedelta
    ) -> int:
        """The chat's claimed updates before this one not handled yet (the claims of a dead
        process are not counted: see `claim_update`)."""
        return await WebhookClaims(scope.tx.conn).earlier_pending(
            channel=channel,
            chat_key=chat_key,
            update_id=update_id,
            now=scope.tx.now,
            stale_before=scope.tx.now - stale,
        )

    @channel_statements("webhook.handled")
    async def update_handled(self, scope: EntryScope, channel: str, update_id: int) -> None:
        await WebhookClaims(scope.tx.conn).handled(
            channel=channel, update_id=update_id, now=scope.tx.now
        )
