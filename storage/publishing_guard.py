"""What guards publishing: the revision each reviewer was shown, and draft uploads per person.

`dialog_review_views` remembers the revision (checksum) of a draft shown to a reviewer by
`/review`: a typed `/approve` approves that revision only. `dialog_draft_uploads` counts the
files each practitioner sent, for the `[publishing] drafts_per_hour` limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import DialogDraftUploadRow, DialogReviewViewRow, new_id

__all__ = ["PublishingGuard"]

#: uploads older than this are forgotten (the limit looks one hour back)
_KEEP = timedelta(days=1)


class PublishingGuard:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def shown_to_reviewer(
        self, *, draft_id: str, reviewer_id: str, checksum: str, now: datetime
    ) -> None:
        """Remember that this revision of the draft was shown to this reviewer (only the
        last one counts: one row per draft and reviewer)."""
        await self._conn.execute(
            delete(DialogReviewViewRow).where(
                DialogReviewViewRow.draft_id == draft_id,
                DialogReviewViewRow.reviewer_id == reviewer_id,
            )
        )
        await self._conn.execute(
            insert(DialogReviewViewRow).values(
                id=new_id(),
                draft_id=draft_id,
                reviewer_id=reviewer_id,
                checksum=checksum,
                shown_at=now,
            )
        )

    async def last_shown(self, *, draft_id: str, reviewer_id: str) -> str | None:
        """The checksum of the revision this reviewer was last shown, if any."""
        found = await self._conn.execute(
            select(DialogReviewViewRow.checksum)
            .where(
                DialogReviewViewRow.draft_id == draft_id,
                DialogReviewViewRow.reviewer_id == reviewer_id,
            )
            .order_by(DialogReviewViewRow.shown_at.desc(), DialogReviewViewRow.id)
            .limit(1)
        )
        value = found.scalar_one_or_none()
        return str(value) if value is not None else None

    async def uploads_since(self, *, practitioner_id: str, since: datetime) -> list[datetime]:
        """When this practitioner sent files after `since`, oldest first."""
        rows = await self._conn.execute(
            select(DialogDraftUploadRow.sent_at)
            .where(
                DialogDraftUploadRow.practitioner_id == practitioner_id,
                DialogDraftUploadRow.sent_at > since,
            )
            .order_by(DialogDraftUploadRow.sent_at)
        )
        return [row.sent_at for row in rows]

    async def count_upload(self, *, practitioner_id: str, now: datetime) -> None:
        """One more file sent (and the person's uploads older than a day forgotten)."""
        await self._conn.execute(
            delete(DialogDraftUploadRow).where(
                DialogDraftUploadRow.practitioner_id == practitioner_id,
                DialogDraftUploadRow.sent_at < now - _KEEP,
            )
        )
        await self._conn.execute(
            insert(DialogDraftUploadRow).values(
                id=new_id(), practitioner_id=practitioner_id, sent_at=now
            )
        )
