"""Webhook claims: which process handles a Telegram update, and when a chat's next update
may go (see docs/design.md, "More than one process").

`claim` is `INSERT … ON CONFLICT DO NOTHING` on (channel, update_id): the process whose insert
added the row handles the update; a resent update (or one a load balancer delivered twice)
finds the row and is answered 200 without being handled (unless the claim is dead: its
process died before handling it, then the update is claimed again). `earlier_pending` counts
the chat's live, unhandled claims with a smaller update_id; the chat's next update waits until
it is 0.

A claim lives as long as its process: each webhook process holds the lease
`webhook:<holder>` (`LEASE_PREFIX`, renewed every few seconds, expired when it stops), and a
claim whose holder's lease has expired is dead at once. A claim whose holder has no lease row
at all (a process of an earlier version) is dead once claimed before `stale_before`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, literal, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models.cluster import ProcessLeaseRow, WebhookClaimRow
from storage.upsert import insert_ignoring

__all__ = ["LEASE_PREFIX", "WebhookClaims"]

_C = WebhookClaimRow
_L = ProcessLeaseRow
#: the lease of a webhook process is named LEASE_PREFIX + its holder id
LEASE_PREFIX = "webhook:"


def _dead(now: datetime, stale_before: datetime) -> Any:
    """The claim's process is gone: its lease expired (or, without a lease, the claim is
    older than `stale_before`)."""
    lease = _L.name == literal(LEASE_PREFIX) + _C.holder
    live = exists().where(lease, _L.expires_at > now)
    leased = exists().where(lease)
    return and_(not_(live), or_(leased, _C.claimed_at < stale_before))


class WebhookClaims:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def claim(
        self,
        *,
        channel: str,
        update_id: int,
        chat_key: str,
        holder: str,
        now: datetime,
        stale_before: datetime,
    ) -> bool:
        """True if this call claimed the update: no process had, or the one that had is dead
        (`_dead`) and never marked it handled, or it is this holder's own claim (a statement
        run again after a lost connection)."""
        result = await self._conn.execute(
            insert_ignoring(self._conn, WebhookClaimRow, conflict=["channel", "update_id"]),
            {
                "channel": channel,
                "update_id": update_id,
                "chat_key": chat_key,
                "holder": holder,
                "claimed_at": now,
                "handled_at": None,
            },
        )
        if result.rowcount:
            return True
        taken = await self._conn.execute(
            update(_C)
            .where(
                _C.channel == channel,
                _C.update_id == update_id,
                _C.handled_at.is_(None),
                or_(_C.holder == holder, _dead(now, stale_before)),
            )
            .values(holder=holder, claimed_at=now)
        )
        return bool(taken.rowcount)

    async def earlier_pending(
        self,
        *,
        channel: str,
        chat_key: str,
        update_id: int,
        now: datetime,
        stale_before: datetime,
    ) -> int:
        """How many of the chat's updates before this one are claimed by a live process but
        not handled yet."""
        return int(
            await self._conn.scalar(
                select(func.count())
                .select_from(_C)
                .where(
                    _C.channel == channel,
                    _C.chat_key == chat_key,
                    _C.update_id < update_id,
                    _C.handled_at.is_(None),
                    not_(_dead(now, stale_before)),
                )
            )
            or 0
        )

    async def handled(self, *, channel: str, update_id: int, now: datetime) -> None:
        await self._conn.execute(
            update(_C)
            .where(_C.channel == channel, _C.update_id == update_id)
            .values(handled_at=now)
        )

    async def forget_before(self, *, before: datetime) -> int:
        """Remove claims made before `before`, handled or not, and the expired leases of
        webhook processes (housekeeping)."""
        result = await self._conn.execute(delete(_C).where(_C.claimed_at < before))
        await self._conn.execute(
            delete(_L).where(_L.name.startswith(LEASE_PREFIX), _L.expires_at < before)
        )
        return int(result.rowcount)
