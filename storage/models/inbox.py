"""The chat's dialog sessions and the channels' inbox (received and processed updates).

Part of the schema (`storage.models`); changing it means writing a migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import ID, Base
from storage.types import UTCDateTime

__all__ = ["DialogSessionRow", "InboundUpdateRow", "ProcessedUpdateRow"]


class DialogSessionRow(Base):
    __tablename__ = "dialog_sessions"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(255))
    practitioner_id: Mapped[str | None] = mapped_column(
        ForeignKey("practitioners.id", ondelete="CASCADE"), index=True
    )
    dialog_id: Mapped[str | None] = mapped_column(String(64))
    dialog_version: Mapped[int | None] = mapped_column(Integer)
    state_enc: Mapped[bytes] = mapped_column(LargeBinary)  # engine state JSON, encrypted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ProcessedUpdateRow(Base):
    __tablename__ = "processed_updates"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class InboundUpdateRow(Base):
    """An update received from a channel, kept (encrypted) until the chat layer has handled it
    (its id is in `processed_updates`): what a killed process had fetched is replayed at start."""

    __tablename__ = "inbound_updates"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    payload_enc: Mapped[bytes] = mapped_column(LargeBinary)  # the update's JSON, encrypted
