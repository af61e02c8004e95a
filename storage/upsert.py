"""Get-or-create without a race: inserts that do nothing (or update) on conflict, and a lock
per key for the rows no unique index can guard.

Two processes (or two `relais` commands) that both find a row missing and both insert it would
make the second die with a unique violation on PostgreSQL. `INSERT … ON CONFLICT DO NOTHING`
waits for the other transaction instead and then does nothing; the select after it (a new
snapshot per statement under READ COMMITTED) finds the row the other one committed. On SQLite
every transaction is `BEGIN IMMEDIATE`, so writers never interleave; the statements are the
same there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["insert_ignoring", "insert_replacing", "lock_key"]


def insert_ignoring(conn: AsyncConnection, table: Any, *, conflict: Sequence[str]) -> Any:
    """`INSERT … ON CONFLICT (conflict) DO NOTHING` in the connection's dialect."""
    target: Table = table.__table__ if hasattr(table, "__table__") else table
    if conn.dialect.name == "postgresql":
        return postgresql.insert(target).on_conflict_do_nothing(index_elements=list(conflict))
    return sqlite.insert(target).on_conflict_do_nothing(index_elements=list(conflict))


def insert_replacing(
    conn: AsyncConnection, table: Any, values: dict[str, Any], *, conflict: Sequence[str]
) -> Any:
    """`INSERT … ON CONFLICT (conflict) DO UPDATE` setting every given column but the
    conflict ones (the row ends as if it had been deleted and inserted, keeping its key)."""
    target: Table = table.__table__ if hasattr(table, "__table__") else table
    changed = {k: v for k, v in values.items() if k not in conflict}
    if conn.dialect.name == "postgresql":
        pg = postgresql.insert(target).values(**values)
        return pg.on_conflict_do_update(index_elements=list(conflict), set_=changed)
    lite = sqlite.insert(target).values(**values)
    return lite.on_conflict_do_update(index_elements=list(conflict), set_=changed)


async def lock_key(conn: AsyncConnection, key: str) -> None:
    """Hold a lock named `key` until the transaction ends (PostgreSQL: a transaction-level
    advisory lock on the key's 64-bit hash); a second transaction asking for the same key
    waits. On SQLite the transaction's own write lock already serializes writers."""
    if conn.dialect.name == "postgresql":
        await conn.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
        )
