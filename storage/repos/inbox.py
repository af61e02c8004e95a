"""Inbound updates: what a channel received, encrypted, until the chat layer has handled it.

An entry counts as handled once its (channel, event_id) is in `processed_updates` (the chat
layer marks it there at the start of the turn, `begin_turn`). The payload (what the user typed)
is bound to `inbound_updates|payload|<row id>`.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import InboundUpdateRow, ProcessedUpdateRow, new_id
from storage.sqlite_fast import FastStatement

__all__ = ["Inbox"]

_T = InboundUpdateRow.__tablename__
_INBOX = cast(Table, InboundUpdateRow.__table__)
_PROCESSED = cast(Table, ProcessedUpdateRow.__table__)
_PUT_PG = pg_insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])
_PUT_SQLITE = sqlite_insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])
_HANDLED = exists().where(
    _PROCESSED.c.channel == _INBOX.c.channel, _PROCESSED.c.event_id == _INBOX.c.event_id
)
_FORGET = delete(_INBOX).where(_INBOX.c.channel == bindparam("channel"), _HANDLED)
_COLUMNS = ("id", "channel", "event_id", "received_at", "payload_enc")


@functools.cache
def _fast_put(dialect: Dialect) -> FastStatement:
    """The insert of a received batch, for `storage.sqlite_fast` (it runs with every batch)."""
    return FastStatement(_PUT_SQLITE, dialect, column_keys=_COLUMNS)


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
            fast = _fast_put(self._conn.dialect)
            for row in rows:
                fast.execute(self._raw, row)
            return
        statement = _PUT_PG if self._conn.dialect.name == "postgresql" else _PUT_SQLITE
        await self._conn.execute(statement, rows)

    async def pending(self, *, channel: str) -> list[tuple[str, dict[str, Any]]]:
        """(event id, payload) of the entries not handled yet, oldest first."""
        rows = (
            await self._conn.execute(
                select(_INBOX.c.id, _INBOX.c.event_id, _INBOX.c.payload_enc)
                .where(_INBOX.c.channel == channel, ~_HANDLED)
                .order_by(_INBOX.c.received_at, _INBOX.c.event_id)
            )
        ).all()
        found = []
        for row in rows:
            plain = self._keys.decrypt(row.payload_enc, table=_T, column="payload", row_id=row.id)
            found.append((row.event_id, json.loads(plain)))
        return found

    async def forget_handled(self, *, channel: str) -> int:
        """Delete the channel's entries that have been handled (one statement)."""
        result = await self._conn.execute(_FORGET, {"channel": channel})
        return int(result.rowcount)

    async def forget_before(self, *, before: datetime) -> int:
        """Delete entries received before `before`, handled or not (housekeeping)."""
        result = await self._conn.execute(delete(_INBOX).where(_INBOX.c.received_at < before))
        return int(result.rowcount)
