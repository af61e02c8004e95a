"""Copy a database to another, empty one (SQLite to PostgreSQL when a team outgrows the
default), with verification.

The target is migrated to the source's schema revision, then every table is copied in
dependency order (`Base.metadata.sorted_tables`), in batches, in one transaction on the
target: a failed copy leaves tables without rows, and can be run again. Values go through the
column types both ways: ciphertexts are copied as they are (the same keys read them), the audit
chain's entries and head row unchanged. PostgreSQL sequences behind integer keys are moved past
the copied ids. Then each table is verified: its row count and a SHA-256 over its rows in key
order, computed the same way on both sides.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Row, Table, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import migrate
from storage.db import create_engine
from storage.models import Base

__all__ = ["BATCH", "CopyError", "TableCopy", "copy_database", "table_checksum"]

#: rows read and written per statement
BATCH = 1000


class CopyError(Exception):
    """The copy was refused or did not verify; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int
    checksum: str


async def copy_database(
    source_url: str, target_url: str, *, progress: Callable[[str], None] = lambda _: None
) -> list[TableCopy]:
    """Copy every table of `source_url` into the empty database `target_url`; returns each
    table's verified row count and checksum. Raises `CopyError` if the target is not empty,
    the source is not at a known revision, or a table differs after the copy."""
    revision = await migrate.current(source_url)
    if revision is None or revision not in migrate.known_revisions():
        raise CopyError(
            f"the source database is at revision {revision or 'none (empty)'}: run "
            "`relais db upgrade` on it first"
        )
    target_revision = await migrate.current(target_url)
    source = create_engine(source_url, immediate=False)
    target = create_engine(target_url, immediate=False)
    try:
        if target_revision is None:
            if await _table_names(target):
                raise CopyError(
                    "the target database holds tables but no Relais schema: give an empty "
                    "database (CREATE DATABASE relais_new)"
                )
            progress(f"creating the schema at revision {revision} on the target")
            await migrate.upgrade(target_url, revision)
        elif target_revision != revision:
            raise CopyError(
                f"the target database is at revision {target_revision}, the source at "
                f"{revision}: give an empty database"
            )
        tables = Base.metadata.sorted_tables
        unknown = set(await _table_names(source)) - {t.name for t in tables} - {"alembic_version"}
        if unknown:
            raise CopyError(f"the source holds tables Relais does not know: {sorted(unknown)}")
        async with target.connect() as conn:
            filled = [t.name for t in tables if await _holds_rows(conn, t)]
            await conn.rollback()
        if filled:
            raise CopyError(
                f"the target database is not empty ({', '.join(filled[:5])} hold rows): "
                "relais db copy only writes into an empty database"
            )
        async with source.connect() as src, target.begin() as dst:
            for table in tables:
                await dst.execute(table.delete())  # the rows a migration seeds (audit_head)
                copied = await _copy_table(src, dst, table)
                progress(f"copied {table.name}: {copied} rows")
            await _move_sequences(dst, tables)
            await src.rollback()
        return await _verify(source, target, tables, progress)
    finally:
        await source.dispose()
        await target.dispose()


async def _table_names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        names: list[str] = await conn.run_sync(lambda c: inspect(c).get_table_names())
        await conn.rollback()
    return names


async def _count(conn: AsyncConnection, table: Table) -> int:
    return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def _holds_rows(conn: AsyncConnection, table: Table) -> bool:
    """True if the table holds rows of its own: not the start of the audit chain that the
    first migration writes (head at 0)."""
    if table.name == "audit_head":
        return bool(
            await conn.scalar(select(func.count()).select_from(table).where(table.c.seq > 0))
        )
    return bool(await _count(conn, table))


def _order(table: Table) -> list[Any]:
    return list(table.primary_key.columns) or list(table.columns)


async def _copy_table(src: AsyncConnection, dst: AsyncConnection, table: Table) -> int:
    copied = 0
    async for rows in _batches(src, table):
        await dst.execute(table.insert(), [dict(row._mapping) for row in rows])
        copied += len(rows)
    return copied


async def _batches(conn: AsyncConnection, table: Table) -> AsyncIterator[Sequence[Row[Any]]]:
    """The table's rows in key order, `BATCH` at a time (the inline SQLite driver has no
    server-side cursor: pages keep the memory bounded)."""
    offset = 0
    while True:
        page = (
            await conn.execute(select(table).order_by(*_order(table)).limit(BATCH).offset(offset))
        ).all()
        if not page:
            return
        yield page
        offset += len(page)


async def _move_sequences(dst: AsyncConnection, tables: list[Table]) -> None:
    """PostgreSQL: a serial key's sequence continues after the copied ids."""
    if dst.dialect.name != "postgresql":
        return
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer) or column.autoincrement is False:
                continue
            sequence = await dst.scalar(
                text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": table.name, "c": column.name}
            )
            if sequence is None:
                continue
            highest = await dst.scalar(select(func.max(column)))
            if highest is not None:
                await dst.execute(text("SELECT setval(:s, :v)"), {"s": sequence, "v": highest})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, bool):
        return int(value)
    return value


async def table_checksum(conn: AsyncConnection, table: Table) -> tuple[int, str]:
    """(rows, SHA-256 over the rows in key order, values as the column types read them)."""
    digest = hashlib.sha256()
    rows = 0
    async for page in _batches(conn, table):
        for row in page:
            line = [_plain(row._mapping[c.name]) for c in table.columns]
            digest.update(json.dumps(line, default=str, separators=(",", ":")).encode())
            digest.update(b"\n")
            rows += 1
    return rows, digest.hexdigest()


async def _verify(
    source: AsyncEngine,
    target: AsyncEngine,
    tables: list[Table],
    progress: Callable[[str], None],
) -> list[TableCopy]:
    verified = []
    async with source.connect() as src, target.connect() as dst:
        for table in tables:
            before = await table_checksum(src, table)
            after = await table_checksum(dst, table)
            if before != after:
                raise CopyError(
                    f"table {table.name} differs after the copy (source {before[0]} rows, "
                    f"target {after[0]}): do not use the target; report this"
                )
            verified.append(TableCopy(table.name, *before))
        await src.rollback()
        await dst.rollback()
    progress(f"verified {len(verified)} tables: row counts and checksums equal")
    return verified
