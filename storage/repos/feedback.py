"""Answers to "Did this help?": keyword arguments in, frozen values out. No person in them
(`storage.models.feedback`); the comment is encrypted and decrypted here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import new_id
from storage.models.feedback import FeedbackRow

__all__ = ["ANSWERS", "Feedback", "FeedbackComment", "FeedbackCount"]

ANSWERS = ("yes", "partly", "no")
_T = FeedbackRow.__tablename__
_R = FeedbackRow


@dataclass(frozen=True, slots=True)
class FeedbackCount:
    dialog_id: str
    dialog_version: int
    lang: str
    answer: str
    count: int


@dataclass(frozen=True, slots=True)
class FeedbackComment:
    """A comment with the answer it came with; never a day, a person or an order of arrival."""

    dialog_id: str
    dialog_version: int
    lang: str
    answer: str
    comment: str


class Feedback:
    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    async def add(
        self, *, day: date, dialog_id: str, dialog_version: int, lang: str, answer: str
    ) -> str:
        feedback_id = new_id()
        await self._conn.execute(
            insert(_R).values(
                id=feedback_id,
                day=day,
                dialog_id=dialog_id,
                dialog_version=dialog_version,
                lang=lang,
                answer=answer,
                comment_enc=None,
            )
        )
        return feedback_id

    async def add_comment(self, *, feedback_id: str, comment: str, since: date) -> bool:
        """Attach `comment` to an answer given on or after `since` that has none yet."""
        blob = self._keys.encrypt(comment, table=_T, column="comment", row_id=feedback_id)
        result = await self._conn.execute(
            update(_R)
            .where(_R.id == feedback_id, _R.comment_enc.is_(None), _R.day >= since)
            .values(comment_enc=blob)
        )
        return int(result.rowcount) == 1

    async def counts(
        self, *, since: date, until: date, dialog_id: str | None = None
    ) -> list[FeedbackCount]:
        """Answers per dialog, version, language and answer between two days (inclusive)."""
        query = (
            select(_R.dialog_id, _R.dialog_version, _R.lang, _R.answer, func.count())
            .where(_R.day >= since, _R.day <= until)
            .group_by(_R.dialog_id, _R.dialog_version, _R.lang, _R.answer)
            .order_by(_R.dialog_id, _R.dialog_version, _R.lang, _R.answer)
        )
        if dialog_id is not None:
            query = query.where(_R.dialog_id == dialog_id)
        return [FeedbackCount(*row) for row in await self._conn.execute(query)]

    async def comments(
        self, *, since: date, until: date, dialog_id: str | None = None
    ) -> list[FeedbackComment]:
        """The comments, ordered by dialog, version and answer, then by their random id (not
        by when they were written)."""
        query = (
            select(_R)
            .where(_R.day >= since, _R.day <= until, _R.comment_enc.is_not(None))
            .order_by(_R.dialog_id, _R.dialog_version, _R.answer, _R.id)
        )
        if dialog_id is not None:
            query = query.where(_R.dialog_id == dialog_id)
        return [
            FeedbackComment(
                dialog_id=row.dialog_id,
                dialog_version=row.dialog_version,
                lang=row.lang,
                answer=row.answer,
                comment=self._keys.decrypt(
                    row.comment_enc, table=_T, column="comment", row_id=row.id
                ),
            )
            for row in await self._conn.execute(query)
        ]
