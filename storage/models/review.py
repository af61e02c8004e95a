"""The monthly multi-agency review: the review check-in of each case, and the decisions taken
at reviews with what became of them.

Part of the schema (`storage.models`); changing it means writing a migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base
from storage.types import UTCDateTime

__all__ = ["CaseDecisionRow", "CaseReviewRow"]


class CaseReviewRow(Base):
    """Which check-in schedule of a case is its monthly review (one per case)."""

    __tablename__ = "case_reviews"
    case_id: Mapped[str] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    schedule_id: Mapped[str] = mapped_column(
        ForeignKey("checkin_schedules.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseDecisionRow(Base):
    """A decision taken at a review: a note tagged `decision` (its text, encrypted there),
    numbered on its case, and what became of it (done or dropped, with an encrypted outcome
    bound to `case_decisions|outcome|<id>`)."""

    __tablename__ = "case_decisions"
    __table_args__ = (UniqueConstraint("case_id", "number"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), unique=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... on its case
    status: Mapped[str] = mapped_column(String(16))  # open | done | dropped
    outcome_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    settled_by: Mapped[str | None] = mapped_column(ForeignKey("practitioners.id"))
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
