"""Relais Studio logins: one-time links sent in chat, and the browser sessions they open.

Only SHA-256 digests of the link and session tokens are stored (the tokens are 256-bit random
strings, so a digest cannot be guessed back); no case data. Part of the schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base
from storage.types import UTCDateTime

__all__ = ["StudioLinkRow", "StudioSessionRow"]


class StudioLinkRow(Base):
    """A login link `/studio` sent: single use, short-lived, bound to one practitioner."""

    __tablename__ = "studio_links"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    practitioner_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StudioSessionRow(Base):
    """A browser session opened by a link; ends after `idle` without a request, at
    `expires_at` whatever happens, or when its practitioner logs out."""

    __tablename__ = "studio_sessions"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    practitioner_id: Mapped[str] = mapped_column(ForeignKey("practitioners.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
