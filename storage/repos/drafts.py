"""Dialog drafts (`dialog_drafts`) of the publishing workflow: `tx.drafts`.

Drafts may hold unreviewed text and a reviewer's comment: both are encrypted at rest (AES-GCM,
AAD = table|column|row id). The draft's `source` column is text, so it holds the ciphertext as
``enc:`` + base64; the plaintext is a small JSON bundle
``{"dialog": yaml, "tests": yaml | null, "tests_from": int | null}`` (the transcript tests of the
draft: its own, or those of the published version `tests_from` it inherited).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.crypto import KeyRing
from storage.models import DialogDraftRow, new_id
from storage.statuses import DRAFT_TRANSITIONS, DraftStatus, transition

__all__ = ["OPEN_DRAFT", "Draft", "Drafts", "checksum_of"]

_DRAFTS = DialogDraftRow.__tablename__
_PREFIX = "enc:"
#: draft statuses that still wait for a decision (one open draft per dialog id)
OPEN_DRAFT = (DraftStatus.DRAFT, DraftStatus.APPROVED, DraftStatus.REJECTED)


def checksum_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    dialog_id: str
    author_id: str | None  # None: offered from the bundled content/ folder
    source: str  # the dialog YAML (decrypted)
    tests: str | None  # transcript tests YAML that came with it (decrypted)
    checksum: str
    status: str  # draft | approved | rejected | published | withdrawn
    base_version: int | None
    reviewer_id: str | None
    review_comment: str | None
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    tests_from: int | None = None  # the published version whose tests it inherited
    reviewed_checksum: str | None = None  # the revision its reviewer approved
    author_via: str | None = None
    reviewer_via: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_DRAFT

    @property
    def approved(self) -> bool:
        """Approved, and the approval is of this very revision."""
        return self.status == DraftStatus.APPROVED and self.reviewed_checksum == self.checksum


class Drafts:
    """Drafts under review, one open draft per dialog id."""

    def __init__(self, conn: AsyncConnection, keys: KeyRing) -> None:
        self._conn = conn
        self._keys = keys

    def _seal(self, text: str, *, column: str, row_id: str) -> bytes:
        return self._keys.encrypt(text, table=_DRAFTS, column=column, row_id=row_id)

    def _seal_source(
        self, source: str, tests: str | None, row_id: str, tests_from: int | None = None
    ) -> str:
        bundle = json.dumps(
            {"dialog": source, "tests": tests, "tests_from": tests_from}, ensure_ascii=False
        )
        blob = self._seal(bundle, column="source", row_id=row_id)
        return _PREFIX + base64.b64encode(blob).decode("ascii")

    def _draft(self, row: Any) -> Draft:
        stored = row.source
        if not stored.startswith(_PREFIX):
            raise ValueError(f"draft {row.id} is not encrypted")
        blob = base64.b64decode(stored[len(_PREFIX) :])
        bundle = json.loads(
            self._keys.decrypt(blob, table=_DRAFTS, column="source", row_id=row.id)
        )
        comment = None
        if row.review_comment_enc is not None:
            comment = self._keys.decrypt(
                row.review_comment_enc, table=_DRAFTS, column="review_comment", row_id=row.id
            )
        return Draft(
            id=row.id,
            dialog_id=row.dialog_id,
            author_id=row.author_id,
            source=str(bundle["dialog"]),
            tests=bundle.get("tests"),
            checksum=row.checksum,
            status=row.status,
            base_version=row.base_version,
            reviewer_id=row.reviewer_id,
            review_comment=comment,
            reviewed_at=row.reviewed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            tests_from=bundle.get("tests_from"),
            reviewed_checksum=row.reviewed_checksum,
            author_via=row.author_via,
            reviewer_via=row.reviewer_via,
        )

    async def open_for(self, *, dialog_id: str) -> Draft | None:
        """The draft of this dialog still waiting for a decision (at most one)."""
        rows = await self._conn.execute(
            select(DialogDraftRow)
            .where(DialogDraftRow.dialog_id == dialog_id, DialogDraftRow.status.in_(OPEN_DRAFT))
            .order_by(DialogDraftRow.updated_at.desc())
        )
        row = rows.first()
        return self._draft(row) if row is not None else None

    async def all_open(self) -> list[Draft]:
        rows = await self._conn.execute(
            select(DialogDraftRow)
            .where(DialogDraftRow.status.in_(OPEN_DRAFT))
            .order_by(DialogDraftRow.dialog_id)
        )
        return [self._draft(row) for row in rows]

    async def get(self, *, draft_id: str) -> Draft | None:
        query = select(DialogDraftRow).where(DialogDraftRow.id == draft_id)
        rows = await self._conn.execute(query)
        row = rows.first()
        return self._draft(row) if row is not None else None

    async def add(
        self,
        *,
        dialog_id: str,
        author_id: str | None,
        source: str,
        tests: str | None,
        base_version: int | None,
        now: datetime,
        tests_from: int | None = None,
        author_via: str | None = None,
    ) -> str:
        draft_id = new_id()
        await self._conn.execute(
            insert(DialogDraftRow).values(
                id=draft_id,
                dialog_id=dialog_id,
                author_id=author_id,
                author_via=author_via,
                source=self._seal_source(source, tests, draft_id, tests_from),
                checksum=checksum_of(source),
                status=DraftStatus.DRAFT,
                base_version=base_version,
                reviewer_id=None,
                review_comment_enc=None,
                reviewed_at=None,
                created_at=now,
                updated_at=now,
            )
        )
        return draft_id

    async def revise(
        self,
        *,
        draft_id: str,
        source: str,
        tests: str | None,
        base_version: int | None,
        now: datetime,
        tests_from: int | None = None,
        author_via: str | None = None,
    ) -> None:
        """New text for an open draft: any earlier review no longer applies."""
        await self._conn.execute(
            update(DialogDraftRow)
            .where(DialogDraftRow.id == draft_id)
            .values(
                source=self._seal_source(source, tests, draft_id, tests_from),
                checksum=checksum_of(source),
                status=DraftStatus.DRAFT,
                base_version=base_version,
                reviewer_id=None,
                reviewer_via=None,
                reviewed_checksum=None,
                review_comment_enc=None,
                reviewed_at=None,
                author_via=author_via,
                updated_at=now,
            )
        )

    async def set_tests(self, *, draft_id: str, source: str, tests: str, now: datetime) -> None:
        """Attach transcript tests to an open draft (its review, if any, stands)."""
        await self._conn.execute(
            update(DialogDraftRow)
            .where(DialogDraftRow.id == draft_id)
            .values(source=self._seal_source(source, tests, draft_id), updated_at=now)
        )

    async def review(
        self,
        *,
        draft_id: str,
        reviewer_id: str | None,
        approved: bool,
        comment: str,
        now: datetime,
        checksum: str,
        reviewer_via: str | None = None,
    ) -> bool:
        """Record the decision on the revision `checksum`; False (nothing written) if the
        draft's text is no longer that revision."""
        done = await self._conn.execute(
            update(DialogDraftRow)
            .where(DialogDraftRow.id == draft_id, DialogDraftRow.checksum == checksum)
            .values(
                status=DraftStatus.APPROVED if approved else DraftStatus.REJECTED,
                reviewer_id=reviewer_id,
                reviewer_via=reviewer_via,
                reviewed_checksum=checksum,
                review_comment_enc=self._seal(comment, column="review_comment", row_id=draft_id)
                if comment
                else None,
                reviewed_at=now,
                updated_at=now,
            )
        )
        return bool(done.rowcount)

    async def close(self, *, draft_id: str, status: str, now: datetime) -> None:
        """`published` or `withdrawn` (from an open draft)."""
        transition(DRAFT_TRANSITIONS, OPEN_DRAFT, status)
        await self._conn.execute(
            update(DialogDraftRow)
            .where(DialogDraftRow.id == draft_id)
            .values(status=status, updated_at=now)
        )

    async def has_open_with_checksum(self, *, dialog_id: str, checksum: str) -> bool:
        found = await self._conn.execute(
            select(DialogDraftRow.id).where(
                DialogDraftRow.dialog_id == dialog_id,
                DialogDraftRow.checksum == checksum,
                DialogDraftRow.status.in_(OPEN_DRAFT),
            )
        )
        return found.first() is not None
