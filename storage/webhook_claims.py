"""Webhook claims: which process handles a Telegram update, and when a chat's next update
may go (see docs/design.md, "More than one process").

`claim` is `INSERT … ON CONFLICT DO NOTHING` on (channel, update_id): the process whose insert
added the row handles the update; a resent update (or one a load balancer delivered twice)
finds the row and is answered 200 without being handled (unless the claim went stale: its
process died before handling it, then the update is claimed again). `earlier_pending` counts
the chat's claimed, unhandled updates with a smaller update_id (claimed since
`stale_before`: a claim whose process died is not waited for forever); the chat's next update
waits until it is 0.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models.cluster import WebhookClaimRow
from storage.upsert import insert_ignoring

__all__ = ["WebhookClaims"]

_C = WebhookClaimRow


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
        """True if this call claimed the update: no process had, or the one that had never
        marked it handled and claimed it before `stale_before` (it died mid-turn)."""
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
                _C.claimed_at < stale_before,
            )
            .values(holder=holder, claimed_at=now)
        )
        return bool(taken.rowcount)

    async def earlier_pending(
        self, *, channel: str, chat_key: str, update_id: int, stale_before: datetime
    ) -> int:
        """How many of the chat's updates before this one are claimed but not handled yet."""
        return int(
            await self._conn.scalar(
                select(func.count())
                .select_from(_C)
                .where(
                    _C.channel == channel,
                    _C.chat_key == chat_key,
                    _C.update_id < update_id,
                    _C.handled_at.is_(None),
                    _C.claimed_at >= stale_before,
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
        """Remove claims made before `before`, handled or not (housekeeping)."""
        result = await self._conn.execute(delete(_C).where(_C.claimed_at < before))
        return int(result.rowcount)
