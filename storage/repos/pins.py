"""Pinned identities: the cross-signing master key pinned per chat identity (Matrix).

Public key material, stored in clear (it is what a practitioner's client shows as the
identity's fingerprint). Keyword arguments in, frozen values out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import ChannelIdentityRow

__all__ = ["PinnedIdentities", "PinnedIdentity"]

_ROW = ChannelIdentityRow


@dataclass(frozen=True, slots=True)
class PinnedIdentity:
    channel: str
    user_id: str
    pinned_key: str | None  # None: nothing pinned (no cross-signing when enrolled)
    seen_key: str | None  # a different key seen since, waiting for the coordinator


class PinnedIdentities:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def pin(self, *, channel: str, user_id: str, master_key: str) -> None:
        """Pin `master_key` for this chat identity (forgets any key seen meanwhile)."""
        await self._conn.execute(
            update(_ROW)
            .where(_ROW.channel == channel, _ROW.user_id == user_id)
            .values(pinned_master_key=master_key, seen_master_key=None)
        )

    async def see(self, *, channel: str, user_id: str, master_key: str | None) -> None:
        """Remember a master key that differs from the pinned one (None: the identity is gone)."""
        await self._conn.execute(
            update(_ROW)
            .where(_ROW.channel == channel, _ROW.user_id == user_id)
            .values(seen_master_key=master_key)
        )

    async def of_practitioner(self, *, practitioner_id: str) -> list[PinnedIdentity]:
        rows = await self._conn.execute(
            select(_ROW.channel, _ROW.user_id, _ROW.pinned_master_key, _ROW.seen_master_key)
            .where(_ROW.practitioner_id == practitioner_id)
            .order_by(_ROW.id)
        )
        return [PinnedIdentity(r[0], r[1], r[2], r[3]) for r in rows]
