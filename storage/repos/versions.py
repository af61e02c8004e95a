"""Published dialog versions (`dialog_versions`): `tx.versions`.

Published versions are guidance, not case data: their YAML is stored as is, immutable, one row
per (dialog id, version). A version keeps the transcript tests it passed (`tests`), when it was
reviewed, and, for an action done on the command line for a practitioner (`--as NAME`), the
shell user of the operator who did it (`*_via`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DialogVersionRow
from storage.repos.drafts import checksum_of

__all__ = ["DialogVersion", "Versions"]


@dataclass(frozen=True, slots=True)
class DialogVersion:
    dialog_id: str
    version: int
    source: str
    checksum: str
    origin: str  # bundled | draft | rollback
    author_id: str | None
    reviewer_id: str | None
    published_at: datetime
    tests: str | None = None
    reviewed_at: datetime | None = None
    publisher_id: str | None = None
    author_via: str | None = None
    reviewer_via: str | None = None
    publisher_via: str | None = None


class Versions:
    """Published versions of the dialogs, oldest first."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    @staticmethod
    def _version(row: Any) -> DialogVersion:
        return DialogVersion(
            dialog_id=row.dialog_id,
            version=row.version,
            source=row.source,
            checksum=row.checksum,
            origin=row.origin,
            author_id=row.author_id,
            reviewer_id=row.reviewer_id,
            published_at=row.published_at,
            tests=row.tests,
            reviewed_at=row.reviewed_at,
            publisher_id=row.publisher_id,
            author_via=row.author_via,
            reviewer_via=row.reviewer_via,
            publisher_via=row.publisher_via,
        )

    async def all(self, *, dialog_id: str | None = None) -> list[DialogVersion]:
        query = select(DialogVersionRow).order_by(
            DialogVersionRow.dialog_id, DialogVersionRow.version
        )
        if dialog_id is not None:
            query = query.where(DialogVersionRow.dialog_id == dialog_id)
        return [self._version(row) for row in await self._conn.execute(query)]

    async def get(self, *, dialog_id: str, version: int) -> DialogVersion | None:
        row = (
            await self._conn.execute(
                select(DialogVersionRow).where(
                    DialogVersionRow.dialog_id == dialog_id, DialogVersionRow.version == version
                )
            )
        ).first()
        return self._version(row) if row is not None else None

    async def newest(self, *, dialog_id: str) -> int | None:
        found = await self._conn.execute(
            select(func.max(DialogVersionRow.version)).where(
                DialogVersionRow.dialog_id == dialog_id
            )
        )
        value = found.scalar_one_or_none()
        return int(value) if value is not None else None

    async def add(
        self,
        *,
        dialog_id: str,
        version: int,
        source: str,
        origin: str,
        author_id: str | None,
        reviewer_id: str | None,
        now: datetime,
        tests: str | None = None,
        reviewed_at: datetime | None = None,
        publisher_id: str | None = None,
        author_via: str | None = None,
        reviewer_via: str | None = None,
        publisher_via: str | None = None,
    ) -> DialogVersion:
        """Insert an immutable version; the (dialog id, version) unique key refuses a race."""
        values = {
            "tests": tests,
            "reviewed_at": reviewed_at,
            "publisher_id": publisher_id,
            "author_via": author_via,
            "reviewer_via": reviewer_via,
            "publisher_via": publisher_via,
            "dialog_id": dialog_id,
            "version": version,
            "source": source,
            "checksum": checksum_of(source),
            "origin": origin,
            "author_id": author_id,
            "reviewer_id": reviewer_id,
            "published_at": now,
        }
        await self._conn.execute(insert(DialogVersionRow).values(**values))
        return DialogVersion(**values)  # type: ignore[arg-type]

    async def set_tests(self, *, dialog_id: str, version: int, tests: str) -> None:
        """Store the bundled transcript tests with a bundled version imported before 0003."""
        await self._conn.execute(
            update(DialogVersionRow)
            .where(
                DialogVersionRow.dialog_id == dialog_id,
                DialogVersionRow.version == version,
                DialogVersionRow.tests.is_(None),
            )
            .values(tests=tests)
        )
