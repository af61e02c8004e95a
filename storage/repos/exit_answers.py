"""A case's exit report answers (`exit_answers`): `tx.exit_answers`.

One row per (case, element), the answer encrypted and bound to the row's id, which never
changes: a revision re-encrypts the new text under the same id and counts one more revision.
Two practitioners answering the same element at once end with the last one's text (on
PostgreSQL the insert waits for the other and then updates; nothing fails).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import ExitAnswerRow, PractitionerRow, new_id
from storage.upsert import insert_ignoring

__all__ = ["ExitAnswer", "ExitAnswers"]

_T = ExitAnswerRow.__tablename__
_P = PractitionerRow.__tablename__


@dataclass(frozen=True, slots=True)
class ExitAnswer:
    element: str
    text: str
    author_id: str
    author_name: str
    revision: int
    created_at: datetime
    updated_at: datetime


class ExitAnswers:
    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    def _seal(self, text: str, row_id: str) -> bytes:
        return self._keys.encrypt(text, table=_T, column="answer", row_id=row_id)

    async def put(
        self,
        *,
        case_id: str,
        element: str,
        text: str,
        author_id: str,
        now: datetime,
        expected_revision: int | None = None,
    ) -> int | None:
        """Write the answer of `element` on the case (first or revised); returns its revision.

        `expected_revision` (0: no answer yet) writes only over that revision: None is
        returned, and nothing written, when someone else answered the element meanwhile."""
        row_id = new_id()
        inserted = await self._conn.execute(
            insert_ignoring(self._conn, ExitAnswerRow, conflict=("case_id", "element")).values(
                id=row_id,
                case_id=case_id,
                element=element,
                answer_enc=self._seal(text, row_id),
                author_id=author_id,
                revision=1,
                created_at=now,
                updated_at=now,
            )
        )
        if inserted.rowcount:
            return 1
        if expected_revision == 0:
            return None
        existing = (
            await self._conn.execute(
                select(ExitAnswerRow.id).where(
                    ExitAnswerRow.case_id == case_id, ExitAnswerRow.element == element
                )
            )
        ).scalar_one()
        query = update(ExitAnswerRow).where(ExitAnswerRow.id == existing)
        if expected_revision is not None:
            query = query.where(ExitAnswerRow.revision == expected_revision)
        revised = await self._conn.execute(
            query.values(
                answer_enc=self._seal(text, existing),
                author_id=author_id,
                revision=ExitAnswerRow.revision + 1,
                updated_at=now,
            ).returning(ExitAnswerRow.revision)
        )
        revision = revised.scalar_one_or_none()
        return None if revision is None else int(revision)

    async def for_case(self, *, case_id: str) -> list[ExitAnswer]:
        """Every answer of the case (decrypted), in no particular order."""
        rows = await self._conn.execute(
            select(ExitAnswerRow, PractitionerRow.display_name_enc.label("author_name_enc"))
            .join(PractitionerRow, PractitionerRow.id == ExitAnswerRow.author_id)
            .where(ExitAnswerRow.case_id == case_id)
            .order_by(ExitAnswerRow.element)
        )
        return [
            ExitAnswer(
                element=r.element,
                text=self._keys.decrypt(r.answer_enc, table=_T, column="answer", row_id=r.id),
                author_id=r.author_id,
                author_name=self._keys.decrypt(
                    r.author_name_enc, table=_P, column="display_name", row_id=r.author_id
                ),
                revision=r.revision,
                created_at=r.created_at,
                updated_at=r.updated_at,
            )
            for r in rows
        ]
