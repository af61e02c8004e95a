"""Inbound updates: what a channel received, encrypted, until it has answered it.

The channel forgets an entry once the replies to it are sent (`forget`), so an update whose
answer a killed process never sent is replayed at the next start. The payload (what the user
typed) is bound to `inbound_updates|payload|<row id>`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import InboundUpdateRow, new_id
from storage.statements import Statements

__all__ = ["Inbox"]

_T = InboundUpdateRow.__tablename__
_INBOX = cast(Table, InboundUpdateRow.__table__)
_PUT_PG = pg_insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])
_PUT_SQLITE = sqlite_insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])
_FORGET = delete(_INBOX).where(
    _INBOX.c.channel == bindparam("channel"), _INBOX.c.event_id == bindparam("event_id")
)
_COLUMNS = ("id", "channel", "event_id", "received_at", "payload_enc")


class Inbox:
    def __init__(
        self, conn: AsyncConnection, keys: KeyRing, *, sql: Statements | None = None
    ) -> None:
        self._conn = conn
        self._keys = keys
        self._sql = sql if sql is not None else Statements(conn)

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
        statement = _PUT_PG if self._conn.dialect.name == "postgresql" else _PUT_SQLITE
        await self._sql.write_many(statement, rows, column_keys=_COLUMNS)

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
        return await self._sql.write_many(_FORGET, values)

    async def forget_before(self, *, before: datetime) -> int:
        """Delete entries received before `before`, handled or not (housekeeping)."""
        result = await self._conn.execute(delete(_INBOX).where(_INBOX.c.received_at < before))
        return int(result.rowcount)
