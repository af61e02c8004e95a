"""Published dialog versions, drafts under review and their uploads.

Part of the schema (`storage.models`); changing it means writing a migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base
from storage.types import UTCDateTime

__all__ = ["DialogDraftRow", "DialogDraftUploadRow", "DialogReviewViewRow", "DialogVersionRow"]


class DialogVersionRow(Base):
    __tablename__ = "dialog_versions"
    __table_args__ = (UniqueConstraint("dialog_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dialog_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)  # guidance YAML (not case data)
    checksum: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(16))  # bundled | draft | rollback
    author_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 0003: what was tested and reviewed, and who really acted
    tests: Mapped[str | None] = mapped_column(Text)  # transcript tests YAML published with it
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    publisher_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    # the shell user of an operator who acted for the author/reviewer/publisher (`--as NAME`)
    author_via: Mapped[str | None] = mapped_column(String(64))
    reviewer_via: Mapped[str | None] = mapped_column(String(64))
    publisher_via: Mapped[str | None] = mapped_column(String(64))


class DialogDraftRow(Base):
    __tablename__ = "dialog_drafts"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    dialog_id: Mapped[str] = mapped_column(String(64), index=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    source: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # draft|in_review|approved|rejected|published
    base_version: Mapped[int | None] = mapped_column(Integer)
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    review_comment_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 0003: the checksum the reviewer approved; the shell user of an operator acting for them
    reviewed_checksum: Mapped[str | None] = mapped_column(String(64))
    author_via: Mapped[str | None] = mapped_column(String(64))
    reviewer_via: Mapped[str | None] = mapped_column(String(64))


class DialogReviewViewRow(Base):
    """A draft revision shown to a reviewer (`/review`): a typed `/approve` approves only the
    revision that reviewer was last shown."""

    __tablename__ = "dialog_review_views"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    draft_id: Mapped[str] = mapped_column(
        ForeignKey("dialog_drafts.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"))
    checksum: Mapped[str] = mapped_column(String(64))
    shown_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DialogDraftUploadRow(Base):
    """A dialog or tests file sent by a practitioner (`[publishing] drafts_per_hour`)."""

    __tablename__ = "dialog_draft_uploads"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    practitioner_id: Mapped[str] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
