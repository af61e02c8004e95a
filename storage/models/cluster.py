"""Tables for more than one process on one database: leases (one holder of a Matrix account's
sync stream) and webhook claims (which process handles a Telegram update, in which order)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime

__all__ = ["ProcessLeaseRow", "WebhookClaimRow"]


class ProcessLeaseRow(Base):
    """A named lease held by one process (e.g. `matrix:@bot:example.org`), renewed while it
    runs; another process may take it once `expires_at` has passed."""

    __tablename__ = "process_leases"
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))  # random id of the holding process
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookClaimRow(Base):
    """A Telegram update claimed by the process that received it (the insert that did not
    conflict); `handled_at` is set once its replies are sent. The chat's later updates wait
    for the earlier ones (see docs/design.md, "More than one process")."""

    __tablename__ = "webhook_claims"
    __table_args__ = (Index("ix_webhook_claims_chat", "channel", "chat_key", "update_id"),)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
