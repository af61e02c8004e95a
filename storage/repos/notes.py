"""Case notes: encrypted bodies, tags, amendments (history kept, via `amends_id`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import CaseRow, NoteRow, PractitionerRow, new_id
from storage.records import Note

__all__ = ["Notes", "decode_tags", "encode_tags"]

_T = NoteRow.__tablename__
_P = PractitionerRow.__tablename__


def encode_tags(tags: Iterable[str]) -> str:
    return "," + ",".join(sorted(set(tags))) + "," if tags else ","


def decode_tags(text: str) -> tuple[str, ...]:
    return tuple(t for t in text.split(",") if t)


class Notes:
    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    def _select(self) -> Any:
        return (
            select(
                NoteRow,
                CaseRow.code.label("case_code"),
                PractitionerRow.display_name_enc.label("author_name_enc"),
            )
            .join(CaseRow, CaseRow.id == NoteRow.case_id)
            .join(PractitionerRow, PractitionerRow.id == NoteRow.author_id)
        )

    async def _build(self, rows: Sequence[Any]) -> list[Note]:
        ids = [r.id for r in rows]
        amended: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for r in await self._conn.execute(
                select(NoteRow.id, NoteRow.amends_id)
                .where(NoteRow.amends_id.in_(ids))
                .order_by(NoteRow.created_at, NoteRow.id)
            ):
                amended[r.amends_id].append(r.id)
        names: dict[str, str] = {}
        notes = []
        for r in rows:
            if r.author_id not in names:
                names[r.author_id] = self._keys.decrypt(
                    r.author_name_enc, table=_P, column="display_name", row_id=r.author_id
                )
            notes.append(
                Note(
                    id=r.id,
                    case_id=r.case_id,
                    case_code=r.case_code,
                    author_id=r.author_id,
                    author_name=names[r.author_id],
                    created_at=r.created_at,
                    body=self._keys.decrypt(r.body_enc, table=_T, column="body", row_id=r.id),
                    tags=decode_tags(r.tags),
                    origin=r.origin,
                    amends_id=r.amends_id,
                    amended_by=tuple(amended[r.id]),
                )
            )
        return notes

    async def add(
        self,
        *,
        case_id: str,
        author_id: str,
        body: str,
        tags: Iterable[str],
        origin: str,
        now: datetime,
        amends_id: str | None = None,
    ) -> str:
        note_id = new_id()
        await self._conn.execute(
            insert(NoteRow).values(
                id=note_id,
                case_id=case_id,
                author_id=author_id,
                created_at=now,
                body_enc=self._keys.encrypt(body, table=_T, column="body", row_id=note_id),
                tags=encode_tags(tags),
                origin=origin,
                amends_id=amends_id,
            )
        )
        return note_id

    async def get(self, *, note_id: str) -> Note | None:
        rows = (await self._conn.execute(self._select().where(NoteRow.id == note_id))).all()
        found = await self._build(rows)
        return found[0] if found else None

    async def owner_case(self, *, note_id: str) -> tuple[str, str, str | None] | None:
        """(case id, author id, amends id) of a note, without decrypting it."""
        row = (
            await self._conn.execute(
                select(NoteRow.case_id, NoteRow.author_id, NoteRow.amends_id).where(
                    NoteRow.id == note_id
                )
            )
        ).first()
        return (row.case_id, row.author_id, row.amends_id) if row else None

    async def latest(self, *, case_id: str, limit: int) -> list[Note]:
        rows = (
            await self._conn.execute(
                self._select()
                .where(NoteRow.case_id == case_id)
                .order_by(NoteRow.created_at.desc(), NoteRow.id.desc())
                .limit(limit)
            )
        ).all()
        return await self._build(rows)

    async def all_for_case(self, *, case_id: str) -> list[Note]:
        rows = (
            await self._conn.execute(
                self._select()
                .where(NoteRow.case_id == case_id)
                .order_by(NoteRow.created_at, NoteRow.id)
            )
        ).all()
        return await self._build(rows)

    async def older_than(self, *, before: datetime) -> list[tuple[str, str, datetime, str]]:
        """(id, case id, created at, tags) of notes created before `before`."""
        rows = await self._conn.execute(
            select(NoteRow.id, NoteRow.case_id, NoteRow.created_at, NoteRow.tags).where(
                NoteRow.created_at < before
            )
        )
        return [(r.id, r.case_id, r.created_at, r.tags) for r in rows]

    async def delete_many(self, *, note_ids: Sequence[str]) -> int:
        total = 0
        for start in range(0, len(note_ids), 500):
            chunk = list(note_ids[start : start + 500])
            # amendments first: they reference the notes they amend
            result = await self._conn.execute(
                delete(NoteRow).where(NoteRow.amends_id.in_(chunk), NoteRow.id.not_in(chunk))
            )
            total += int(result.rowcount)
            result = await self._conn.execute(delete(NoteRow).where(NoteRow.id.in_(chunk)))
            total += int(result.rowcount)
        return total
