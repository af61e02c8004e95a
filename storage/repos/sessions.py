"""Dialog sessions (engine state encrypted at rest) and processed update ids."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import DialogSessionRow, ProcessedUpdateRow, new_id
from storage.records import StoredSession

__all__ = ["Sessions"]

_T = DialogSessionRow.__tablename__


class Sessions:
    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    def _session(self, row: Any) -> StoredSession:
        state = json.loads(
            self._keys.decrypt(row.state_enc, table=_T, column="state", row_id=row.id)
        )
        return StoredSession(
            id=row.id,
            channel=row.channel,
            chat_id=row.chat_id,
            practitioner_id=row.practitioner_id,
            dialog_id=row.dialog_id,
            dialog_version=row.dialog_version,
            state=state,
            created_at=row.created_at,
            updated_at=row.updated_at,
            expires_at=row.expires_at,
        )

    async def get(self, *, channel: str, chat_id: str) -> StoredSession | None:
        row = (
            await self._conn.execute(
                select(DialogSessionRow).where(
                    DialogSessionRow.channel == channel, DialogSessionRow.chat_id == chat_id
                )
            )
        ).first()
        return self._session(row) if row else None

    async def put(
        self,
        *,
        channel: str,
        chat_id: str,
        practitioner_id: str | None,
        state: dict[str, Any],
        dialog_id: str | None,
        dialog_version: int | None,
        now: datetime,
        expires_at: datetime,
    ) -> str:
        existing = (
            await self._conn.execute(
                select(DialogSessionRow.id).where(
                    DialogSessionRow.channel == channel, DialogSessionRow.chat_id == chat_id
                )
            )
        ).scalar_one_or_none()
        session_id = existing or new_id()
        blob = self._keys.encrypt(
            json.dumps(state, separators=(",", ":")), table=_T, column="state", row_id=session_id
        )
        values = {
            "practitioner_id": practitioner_id,
            "dialog_id": dialog_id,
            "dialog_version": dialog_version,
            "state_enc": blob,
            "updated_at": now,
            "expires_at": expires_at,
        }
        if existing:
            await self._conn.execute(
                update(DialogSessionRow).where(DialogSessionRow.id == session_id).values(**values)
            )
        else:
            await self._conn.execute(
                insert(DialogSessionRow).values(
                    id=session_id, channel=channel, chat_id=chat_id, created_at=now, **values
                )
            )
        return session_id

    async def delete(self, *, channel: str, chat_id: str) -> bool:
        result = await self._conn.execute(
            delete(DialogSessionRow).where(
                DialogSessionRow.channel == channel, DialogSessionRow.chat_id == chat_id
            )
        )
        return int(result.rowcount) > 0

    async def delete_expired(self, *, now: datetime) -> int:
        result = await self._conn.execute(
            delete(DialogSessionRow).where(DialogSessionRow.expires_at <= now)
        )
        return int(result.rowcount)

    async def count_on_version(self, *, dialog_id: str, version: int, now: datetime) -> int:
        return int(
            (
                await self._conn.execute(
                    select(func.count()).where(
                        DialogSessionRow.dialog_id == dialog_id,
                        DialogSessionRow.dialog_version == version,
                        DialogSessionRow.expires_at > now,
                    )
                )
            ).scalar_one()
        )

    # -- processed updates --------------------------------------------------------------------

    async def mark_processed(self, *, channel: str, event_id: str, now: datetime) -> bool:
        """Record an update id; False if it was already recorded (one statement: an insert
        that does nothing on conflict, on SQLite and PostgreSQL alike)."""
        values = {"channel": channel, "event_id": event_id, "processed_at": now}
        if self._conn.dialect.name == "postgresql":
            statement: Any = pg_insert(ProcessedUpdateRow).values(**values)
        else:
            statement = sqlite_insert(ProcessedUpdateRow).values(**values)
        result = await self._conn.execute(statement.on_conflict_do_nothing())
        return bool(result.rowcount == 1)

    async def forget_processed_before(self, *, before: datetime) -> int:
        result = await self._conn.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.processed_at < before)
        )
        return int(result.rowcount)
