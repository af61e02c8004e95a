"""Relais Studio logins (`tx.studio`): one-time links and browser sessions.

Tokens never reach the database: callers pass their SHA-256 digest (`token_digest`). A link
is redeemed once, before it expires, by one UPDATE (two browsers racing on one link: one
wins). A session lives while it is used at least every `idle`, and never past `expires_at`.
Keyword arguments in, frozen values out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import StudioLinkRow, StudioSessionRow, new_id

__all__ = ["StudioLogins", "StudioSession", "token_digest"]

_LINK, _SESSION = StudioLinkRow, StudioSessionRow


def token_digest(token: str) -> str:
    """The stored form of a link or session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class StudioSession:
    id: str
    practitioner_id: str
    created_at: datetime
    expires_at: datetime


class StudioLogins:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_link(
        self, *, token_hash: str, practitioner_id: str, now: datetime, valid: timedelta
    ) -> str:
        link_id = new_id()
        await self._conn.execute(
            insert(_LINK).values(
                id=link_id,
                token_hash=token_hash,
                practitioner_id=practitioner_id,
                created_at=now,
                expires_at=now + valid,
                used_at=None,
            )
        )
        return link_id

    async def redeem_link(self, *, token_hash: str, now: datetime) -> tuple[str, str] | None:
        """(link id, practitioner id) of an unused, unexpired link, now used; else None."""
        found = (
            await self._conn.execute(
                select(_LINK.id, _LINK.practitioner_id).where(
                    _LINK.token_hash == token_hash,
                    _LINK.used_at.is_(None),
                    _LINK.expires_at > now,
                )
            )
        ).first()
        if found is None:
            return None
        used = await self._conn.execute(
            update(_LINK).where(_LINK.id == found.id, _LINK.used_at.is_(None)).values(used_at=now)
        )
        return (found.id, found.practitioner_id) if used.rowcount == 1 else None

    async def link_state(self, *, token_hash: str, now: datetime) -> str:
        """The link's state: valid, used, expired or unknown (what the login page says)."""
        row = (
            await self._conn.execute(
                select(_LINK.used_at, _LINK.expires_at).where(_LINK.token_hash == token_hash)
            )
        ).first()
        if row is None:
            return "unknown"
        if row.used_at is not None:
            return "used"
        return "valid" if row.expires_at > now else "expired"

    async def add_session(
        self, *, token_hash: str, practitioner_id: str, now: datetime, lasts: timedelta
    ) -> str:
        session_id = new_id()
        await self._conn.execute(
            insert(_SESSION).values(
                id=session_id,
                token_hash=token_hash,
                practitioner_id=practitioner_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lasts,
                ended_at=None,
            )
        )
        return session_id

    async def use_session(
        self, *, token_hash: str, now: datetime, idle: timedelta
    ) -> StudioSession | None:
        """The session, if still open (used within `idle`, before its end); marks it used."""
        row = (
            await self._conn.execute(
                select(
                    _SESSION.id, _SESSION.practitioner_id, _SESSION.created_at, _SESSION.expires_at
                ).where(
                    _SESSION.token_hash == token_hash,
                    _SESSION.ended_at.is_(None),
                    _SESSION.expires_at > now,
                    _SESSION.last_seen_at > now - idle,
                )
            )
        ).first()
        if row is None:
            return None
        await self._conn.execute(
            update(_SESSION).where(_SESSION.id == row.id).values(last_seen_at=now)
        )
        return StudioSession(row.id, row.practitioner_id, row.created_at, row.expires_at)

    async def end_session(self, *, token_hash: str, now: datetime) -> str | None:
        """End an open session (logout); its id, or None if there was none."""
        row = (
            await self._conn.execute(
                select(_SESSION.id).where(
                    _SESSION.token_hash == token_hash, _SESSION.ended_at.is_(None)
                )
            )
        ).first()
        if row is None:
            return None
        await self._conn.execute(
            update(_SESSION).where(_SESSION.id == row.id).values(ended_at=now)
        )
        return str(row.id)

    async def forget_old(self, *, before: datetime) -> int:
        """Drop links and sessions that were over before `before` (done at each login)."""
        links = await self._conn.execute(delete(_LINK).where(_LINK.expires_at < before))
        sessions = await self._conn.execute(
            delete(_SESSION).where(or_(_SESSION.expires_at < before, _SESSION.ended_at < before))
        )
        return int(links.rowcount or 0) + int(sessions.rowcount or 0)
