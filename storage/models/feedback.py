"""The answers to "Did this help?" at the end of a dialog (issue 18: evidence).

No person in them: no practitioner, case, chat, session or team column, and nothing finer
than a day, so that an answer cannot be joined back to who gave it. The optional comment is
AES-GCM ciphertext bound to `guidance_feedback|comment|<id>` (`storage.crypto`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base

__all__ = ["FeedbackRow"]


class FeedbackRow(Base):
    __tablename__ = "guidance_feedback"
    __table_args__ = (Index("ix_guidance_feedback_dialog_day", "dialog_id", "day"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)  # random: no order of arrival
    day: Mapped[date] = mapped_column(Date)
    dialog_id: Mapped[str] = mapped_column(String(64))
    dialog_version: Mapped[int] = mapped_column(Integer)
    lang: Mapped[str] = mapped_column(String(8))
    answer: Mapped[str] = mapped_column(String(8))  # yes | partly | no
    comment_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
