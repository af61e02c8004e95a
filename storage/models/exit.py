"""The structured exit report of a case (issue 16): one answer per element of the report.

An answer is AES-GCM ciphertext bound to `exit_answers|answer|<id>` (`storage.crypto`); the
row keeps its id when the answer is revised, so the ciphertext stays bound to it. Who wrote
the last version and how many versions there were are kept; the texts of earlier versions are
not (the audit log records each write, without its text).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base
from storage.types import UTCDateTime

__all__ = ["ExitAnswerRow"]


class ExitAnswerRow(Base):
    __tablename__ = "exit_answers"
    __table_args__ = (UniqueConstraint("case_id", "element"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    element: Mapped[str] = mapped_column(String(32))  # an element id of content/exit_report.yaml
    answer_enc: Mapped[bytes] = mapped_column(LargeBinary)
    author_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"))  # the last writer
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
