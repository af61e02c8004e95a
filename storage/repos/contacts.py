"""The contacts directory and the on-call rota."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import ContactRow, OnCallRow, new_id
from storage.records import Contact, OnCallSlot

__all__ = ["Contacts"]

_T = ContactRow.__tablename__


class Contacts:
    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    def _contact(self, row: Any) -> Contact:
        def text(column: str) -> str | None:
            blob = getattr(row, f"{column}_enc")
            if blob is None:
                return None
            return self._keys.decrypt(blob, table=_T, column=column, row_id=row.id)

        return Contact(
            id=row.id,
            team_id=row.team_id,
            role=row.role,
            key=row.key,
            name=text("name") or "",
            phone=text("phone"),
            hours=text("hours"),
            notes=text("notes"),
            practitioner_id=row.practitioner_id,
            priority=row.priority,
        )

    async def add(
        self,
        *,
        team_id: str,
        role: str,
        key: str,
        name: str,
        phone: str | None,
        hours: str | None,
        notes: str | None,
        practitioner_id: str | None,
        priority: int,
        now: datetime,
    ) -> str:
        contact_id = new_id()
        values = {"name": name, "phone": phone, "hours": hours, "notes": notes}
        encrypted = {
            f"{column}_enc": (
                None
                if value is None
                else self._keys.encrypt(value, table=_T, column=column, row_id=contact_id)
            )
            for column, value in values.items()
        }
        await self._conn.execute(
            insert(ContactRow).values(
                id=contact_id,
                team_id=team_id,
                role=role,
                key=key,
                practitioner_id=practitioner_id,
                priority=priority,
                created_at=now,
                **encrypted,
            )
        )
        return contact_id

    async def for_team(self, *, team_id: str, roles: list[str] | None = None) -> list[Contact]:
        query = select(ContactRow).where(ContactRow.team_id == team_id)
        if roles is not None:
            query = query.where(ContactRow.role.in_(roles))
        rows = await self._conn.execute(
            query.order_by(ContactRow.role, ContactRow.priority, ContactRow.key)
        )
        return [self._contact(r) for r in rows]

    async def by_ids(self, *, ids: list[str]) -> dict[str, Contact]:
        if not ids:
            return {}
        rows = await self._conn.execute(select(ContactRow).where(ContactRow.id.in_(ids)))
        return {r.id: self._contact(r) for r in rows}

    async def clear_team(self, *, team_id: str) -> None:
        await self._conn.execute(delete(OnCallRow).where(OnCallRow.team_id == team_id))
        await self._conn.execute(delete(ContactRow).where(ContactRow.team_id == team_id))

    # -- on-call rota -------------------------------------------------------------------------

    async def add_slot(
        self,
        *,
        team_id: str,
        role: str,
        contact_id: str,
        starts_at: datetime,
        ends_at: datetime,
        position: int,
    ) -> None:
        await self._conn.execute(
            insert(OnCallRow).values(
                team_id=team_id,
                role=role,
                contact_id=contact_id,
                starts_at=starts_at,
                ends_at=ends_at,
                position=position,
            )
        )

    async def on_call(self, *, team_id: str, roles: list[str], at: datetime) -> list[OnCallSlot]:
        """Slots covering `at` for these roles, in escalation order."""
        rows = await self._conn.execute(
            select(OnCallRow)
            .where(
                OnCallRow.team_id == team_id,
                OnCallRow.role.in_(roles),
                OnCallRow.starts_at <= at,
                OnCallRow.ends_at > at,
            )
            .order_by(OnCallRow.role, OnCallRow.position, OnCallRow.starts_at)
        )
        return [
            OnCallSlot(r.id, r.team_id, r.role, r.contact_id, r.starts_at, r.ends_at, r.position)
            for r in rows
        ]

    async def rota(self, *, team_id: str) -> list[OnCallSlot]:
        rows = await self._conn.execute(
            select(OnCallRow)
            .where(OnCallRow.team_id == team_id)
            .order_by(OnCallRow.role, OnCallRow.starts_at, OnCallRow.position)
        )
        return [
            OnCallSlot(r.id, r.team_id, r.role, r.contact_id, r.starts_at, r.ends_at, r.position)
            for r in rows
        ]
