"""Leases: a named right held by one process at a time, renewed while it runs.

`take` is one upsert: insert the lease, or overwrite it when it has expired (its holder died
or stalled) or is already ours; then read who holds it. Two processes taking it at once are
ordered by the row (PostgreSQL) or the write lock (SQLite): one wins, the other reads the
winner. A holder renews well before `expires_at`; a killed holder stops renewing, and the lease
is free once it expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models.cluster import ProcessLeaseRow

__all__ = ["Lease", "Leases"]

_L = ProcessLeaseRow


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    holder: str
    host: str
    pid: int
    since: datetime
    expires_at: datetime


class Leases:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def take(
        self, *, name: str, holder: str, host: str, pid: int, now: datetime, ttl: timedelta
    ) -> Lease:
        """Take the lease if it is free, expired or ours; returns whoever holds it now."""
        values = {
            "name": name,
            "holder": holder,
            "host": host,
            "pid": pid,
            "since": now,
            "expires_at": now + ttl,
        }
        table = cast(Table, ProcessLeaseRow.__table__)
        free = or_(_L.expires_at < now, _L.holder == holder)
        stmt: Any
        if self._conn.dialect.name == "postgresql":
            pg = postgresql.insert(table).values(**values)
            stmt = pg.on_conflict_do_update(
                index_elements=["name"], set_=_changed(values), where=free
            )
        else:
            lite = sqlite.insert(table).values(**values)
            stmt = lite.on_conflict_do_update(
                index_elements=["name"], set_=_changed(values), where=free
            )
        await self._conn.execute(stmt)
        found = await self.get(name=name)
        if found is None:  # pragma: no cover - the row exists once the upsert returned
            raise LookupError(f"lease {name} neither taken nor found")
        return found

    async def get(self, *, name: str) -> Lease | None:
        row = (await self._conn.execute(select(_L).where(_L.name == name))).first()
        if row is None:
            return None
        return Lease(row.name, row.holder, row.host, row.pid, row.since, row.expires_at)

    async def renew(self, *, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Push the expiry on; False if the lease is no longer ours (it expired and another
        process took it)."""
        result = await self._conn.execute(
            update(_L).where(_L.name == name, _L.holder == holder).values(expires_at=now + ttl)
        )
        return bool(result.rowcount)

    async def release(self, *, name: str, holder: str) -> None:
        await self._conn.execute(delete(_L).where(_L.name == name, _L.holder == holder))


def _changed(values: dict[str, object]) -> dict[str, object]:
    """What an overwrite sets: everything but the name; `since` only when the holder changes
    (kept as it was when we take our own lease again)."""
    changed = {k: v for k, v in values.items() if k != "name"}
    changed["since"] = case((_L.holder == values["holder"], _L.since), else_=values["since"])
    return changed
