"""Inbound updates: what a channel received, encrypted, until it has answered it.

The channel forgets an entry once the replies to it are sent (`forget`), so an update whose
answer a killed process never sent is replayed at the next start. The payload (what the user
typed) is bound to `inbound_updates|payload|<row id>`.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import InboundUpdateRow, new_id
from storage.sqlite_fast import FastStatement

__all__ = ["Inbox"]

_T = InboundUpdateRow.__tablename__
_INBOX = cast(Table, InboundUpdateRow.__table__)
_PUT_PG = pg_insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])
_PUT_SQLITE = sqlite_insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])
_FORGET = delete(_INBOX).where(
    _INBOX.c.channel == bindparam("channel"), _INBOX.c.event_id == bindparam("event_id")
)
_COLUMNS = ("id", "channel", "event_id", "received_at", "payload_enc")


@functools.cache
def _fast(dialect: Dialect) -> tuple[FastStatement, FastStatement]:
    """The insert of a received batch and the delete of an answered update, for
    `storage.sqlite_fast` (they run with every batch)."""
    return (
        FastStatement(_PUT_SQLITE, dialect, column_keys=_COLUMNS),
        FastStatement(_FORGET, dialect),
    )


class Inbox:
    def __init__(
        self, conn: AsyncConnection, keys: KeyRing, *, raw: sqlite3.Connection | None = None
    ) -> None:
        self._conn = conn
        self._keys = keys
        self._raw = raw

    async def put_many(
        self, *, channel: str, entries: Sequence[tuple[str, dict[str, Any]]], now: datetime
    ) -> None:
        """Keep the entries (event id, JSON-able payload); ones already kept are left as they
        are (an insert that does nothing on conflict; on SQLite run on the driver connection,
        see storage.sqlite_fast)."""
        if not entries:
            return
        rows = []
        for event_id, payload in entries:
            row_id = new_id()
            text = json.dumps(payload, separators=(",", ":"))
            rows.append(
                {
                    "id": row_id,
                    "channel": channel,
                    "event_id": str(event_id),
                    "received_at": now,
                    "payload_enc": self._keys.encrypt(
                        text, table=_T, column="payload", row_id=row_id
                    ),
                }
            )
        if self._raw is not None:
            put = _fast(self._conn.dialect)[0]
            for row in rows:
                put.execute(self._raw, row)
            return
        statement = _PUT_PG if self._conn.dialect.name == "postgresql" else _PUT_SQLITE
        await self._conn.execute(statement, rows)

    async def pending(self, *, channel: str) -> list[tuple[str, dict[str, Any]]]:
        """(event id, payload) of the entries not answered yet, oldest first."""
        rows = (
            await self._conn.execute(
                select(_INBOX.c.id, _INBOX.c.event_id, _INBOX.c.payload_enc)
                .where(_INBOX.c.channel == channel)
                .order_by(_INBOX.c.received_at, _INBOX.c.event_id)
            )
        ).all()
        found = []
        for row in rows:
            plain = self._keys.decrypt(row.payload_enc, table=_T, column="payload", row_id=row.id)
            found.append((row.event_id, json.loads(plain)))
        return found

    async def forget(self, *, channel: str, event_ids: Sequence[str]) -> int:
        """Delete the channel's entries that have been answered; returns how many."""
        values = [{"channel": channel, "event_id": str(e)} for e in event_ids]
        if not values:
            return 0
        if self._raw is not None:
            gone = _fast(self._conn.dialect)[1]
            return sum(gone.execute(self._raw, v) for v in values)
        result = await self._conn.execute(_FORGET, values)
        return int(result.rowcount)

    async def forget_before(self, *, before: datetime) -> int:
        """Delete entries received before `before`, handled or not (housekeeping)."""
        result = await self._conn.execute(delete(_INBOX).where(_INBOX.c.received_at < before))
        return int(result.rowcount)
