"""Dialog sessions (engine state encrypted at rest) and processed update ids."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import DecryptionError, KeyRing
from storage.models import DialogSessionRow, ProcessedUpdateRow, new_id
from storage.records import StoredSession
from storage.statements import Statements

__all__ = ["Sessions"]

_T = DialogSessionRow.__tablename__

# The statements of every chat message, built once (SQLAlchemy caches their compiled form by
# statement; rebuilding them per call cost more than running them).
_SESSIONS = cast(Table, DialogSessionRow.__table__)
_WHERE_CHAT = (
    _SESSIONS.c.channel == bindparam("channel"),
    _SESSIONS.c.chat_id == bindparam("chat_id"),
)
_GET = select(_SESSIONS).where(*_WHERE_CHAT)
_FIND = select(_SESSIONS.c.id).where(*_WHERE_CHAT)
_UPDATE = (
    update(_SESSIONS)
    .where(
        _SESSIONS.c.id == bindparam("session_id"),
        _SESSIONS.c.channel == bindparam("session_channel"),
        _SESSIONS.c.chat_id == bindparam("session_chat_id"),
    )
    .values(
        {
            name: bindparam(name)
            for name in (
                "practitioner_id",
                "dialog_id",
                "dialog_version",
                "state_enc",
                "updated_at",
                "expires_at",
            )
        }
    )
)
_INSERT = insert(_SESSIONS)
_EXPIRED = select(_SESSIONS).where(_SESSIONS.c.expires_at <= bindparam("now"))
_PROCESSED = cast(Table, ProcessedUpdateRow.__table__)
_MARK_PG = pg_insert(_PROCESSED).on_conflict_do_nothing()
_MARK_SQLITE = sqlite_insert(_PROCESSED).on_conflict_do_nothing()
_MARK_COLUMNS = ("channel", "event_id", "processed_at")


class Sessions:
    def __init__(
        self, conn: AsyncConnection, keys: KeyRing, *, sql: Statements | None = None
    ) -> None:
        self._conn = conn
        self._keys = keys
        self._sql = sql if sql is not None else Statements(conn)

    def _session(self, row: Any, prefix: str = "") -> StoredSession:
        def column(name: str) -> Any:
            return getattr(row, prefix + name)

        session_id = column("id")
        state = json.loads(
            self._keys.decrypt(column("state_enc"), table=_T, column="state", row_id=session_id)
        )
        return StoredSession(
            id=session_id,
            channel=column("channel"),
            chat_id=column("chat_id"),
            practitioner_id=column("practitioner_id"),
            dialog_id=column("dialog_id"),
            dialog_version=column("dialog_version"),
            state=state,
            created_at=column("created_at"),
            updated_at=column("updated_at"),
            expires_at=column("expires_at"),
        )

    def from_joined(self, row: Any) -> StoredSession:
        """The session in a row of ``session_*`` columns (`Access.actor_and_session`)."""
        return self._session(row, "session_")

    async def get(self, *, channel: str, chat_id: str) -> StoredSession | None:
        row = (await self._conn.execute(_GET, {"channel": channel, "chat_id": chat_id})).first()
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
        session_id: str | None = None,
    ) -> str:
        """Store the chat's state; returns the session's id. `session_id`, the id the chat's
        session had when this turn read it, saves looking it up (one statement instead of
        two); if that session has gone meanwhile (expired), a new one is stored."""
        payload = json.dumps(state, separators=(",", ":"))
        values = {
            "practitioner_id": practitioner_id,
            "dialog_id": dialog_id,
            "dialog_version": dialog_version,
            "updated_at": now,
            "expires_at": expires_at,
        }
        existing = session_id
        if existing is None:
            existing = (
                await self._conn.execute(_FIND, {"channel": channel, "chat_id": chat_id})
            ).scalar_one_or_none()
        if existing is not None:
            changes = {
                "session_id": existing,
                "session_channel": channel,
                "session_chat_id": chat_id,
                "state_enc": self._encrypt(payload, existing),
                **values,
            }
            updated = await self._sql.write(_UPDATE, changes)
            if updated == 1:
                return existing
        fresh = new_id()
        await self._conn.execute(
            _INSERT,
            {
                "id": fresh,
                "channel": channel,
                "chat_id": chat_id,
                "state_enc": self._encrypt(payload, fresh),
                "created_at": now,
                **values,
            },
        )
        return fresh

    def _encrypt(self, payload: str, session_id: str) -> bytes:
        return self._keys.encrypt(payload, table=_T, column="state", row_id=session_id)

    async def delete(self, *, channel: str, chat_id: str) -> bool:
        result = await self._conn.execute(
            delete(DialogSessionRow).where(
                DialogSessionRow.channel == channel, DialogSessionRow.chat_id == chat_id
            )
        )
        return int(result.rowcount) > 0

    async def expired(self, *, now: datetime) -> list[StoredSession]:
        """The sessions past their expiry (an unreadable one is left out)."""
        rows = (await self._conn.execute(_EXPIRED.params(now=now))).all()
        found = []
        for row in rows:
            try:
                found.append(self._session(row))
            except (DecryptionError, ValueError):
                continue
        return found

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
        statement = _MARK_PG if self._conn.dialect.name == "postgresql" else _MARK_SQLITE
        return await self._sql.write(statement, values, column_keys=_MARK_COLUMNS) == 1

    async def forget_processed_before(self, *, before: datetime) -> int:
        result = await self._conn.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.processed_at < before)
        )
        return int(result.rowcount)
