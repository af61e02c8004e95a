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

from sqlalchemy import LargeBinary, String, Table, any_, bindparam, delete, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import InboundUpdateRow, new_id
from storage.statements import Statements
from storage.types import UTCDateTime

__all__ = ["Inbox"]

_T = InboundUpdateRow.__tablename__
_INBOX = cast(Table, InboundUpdateRow.__table__)
_PUT_PG = pg_insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])
_PUT_SQLITE = sqlite_insert(_INBOX).on_conflict_do_nothing(index_elements=["channel", "event_id"])
_FORGET = delete(_INBOX).where(
    _INBOX.c.channel == bindparam("channel"), _INBOX.c.event_id == bindparam("event_id")
)
#: PostgreSQL: the answered updates forgotten in one statement
_FORGET_PG = delete(_INBOX).where(
    _INBOX.c.channel == bindparam("channel"),
    _INBOX.c.event_id == any_(bindparam("event_ids", type_=ARRAY(String()))),
)
_COLUMNS = ("id", "channel", "event_id", "received_at", "payload_enc")
#: PostgreSQL: a batch kept and the updates answered since the last one forgotten, in one
#: statement (one round trip, whatever the batch's size; the polling loop waits for it before
#: it confirms the batch to Telegram)
_KEEP_PG = text(
    """
    WITH forgotten AS (
        DELETE FROM inbound_updates
        WHERE channel = :channel AND event_id = ANY(CAST(:answered AS VARCHAR[]))
    )
    INSERT INTO inbound_updates (id, channel, event_id, received_at, payload_enc)
    SELECT kept.id, :channel, kept.event_id, :received_at, kept.payload_enc
    FROM unnest(
        CAST(:ids AS VARCHAR[]), CAST(:event_ids AS VARCHAR[]), CAST(:payloads AS BYTEA[])
    ) AS kept(id, event_id, payload_enc)
    ON CONFLICT (channel, event_id) DO NOTHING
    """
).bindparams(
    bindparam("channel", type_=String()),
    bindparam("answered", type_=ARRAY(String())),
    bindparam("received_at", type_=UTCDateTime()),
    bindparam("ids", type_=ARRAY(String())),
    bindparam("event_ids", type_=ARRAY(String())),
    bindparam("payloads", type_=ARRAY(LargeBinary())),
)


class Inbox:
    def __init__(
        self, conn: AsyncConnection, keys: KeyRing, *, sql: Statements | None = None
    ) -> None:
        self._conn = conn
        self._keys = keys
        self._sql = sql if sql is not None else Statements(conn)

    async def keep(
        self,
        *,
        channel: str,
        entries: Sequence[tuple[str, dict[str, Any]]],
        answered: Sequence[str],
        now: datetime,
    ) -> None:
        """Keep the entries (event id, JSON-able payload) and forget the `answered` ones; an
        entry kept already is left as it is. PostgreSQL: one statement."""
        if self._conn.dialect.name != "postgresql":
            await self.put_many(channel=channel, entries=entries, now=now)
            await self.forget(channel=channel, event_ids=answered)
            return
        rows = self._rows(channel, entries, now)
        await self._sql.write(
            _KEEP_PG,
            {
                "channel": channel,
                "answered": [str(e) for e in answered],
                "received_at": now,
                "ids": [row["id"] for row in rows],
                "event_ids": [row["event_id"] for row in rows],
                "payloads": [row["payload_enc"] for row in rows],
            },
        )

    async def put_many(
        self, *, channel: str, entries: Sequence[tuple[str, dict[str, Any]]], now: datetime
    ) -> None:
        """Keep the entries (event id, JSON-able payload); ones already kept are left as they
        are (an insert that does nothing on conflict; on SQLite run on the driver connection,
        see storage.sqlite_fast)."""
        if not entries:
            return
        statement = _PUT_PG if self._conn.dialect.name == "postgresql" else _PUT_SQLITE
        await self._sql.write_many(
            statement, self._rows(channel, entries, now), column_keys=_COLUMNS
        )

    def _rows(
        self, channel: str, entries: Sequence[tuple[str, dict[str, Any]]], now: datetime
    ) -> list[dict[str, Any]]:
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
        return rows

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
        if not event_ids:
            return 0
        if self._conn.dialect.name == "postgresql":
            ids = [str(e) for e in event_ids]
            return await self._sql.write(_FORGET_PG, {"channel": channel, "event_ids": ids})
        values = [{"channel": channel, "event_id": str(e)} for e in event_ids]
        return await self._sql.write_many(_FORGET, values)

    async def forget_before(self, *, before: datetime) -> int:
        """Delete entries received before `before`, handled or not (housekeeping)."""
        result = await self._conn.execute(delete(_INBOX).where(_INBOX.c.received_at < before))
        return int(result.rowcount)
