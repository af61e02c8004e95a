"""The hash-chained audit log, its head and the key-rotation state.

Part of the schema (`storage.models`); changing it means writing a migration.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime

__all__ = ["AuditEntryRow", "AuditHead", "KeyRotationStateRow"]


class AuditEntryRow(Base):
    """One HMAC-chained audit entry. No foreign keys: entries outlive erased cases."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_case_code", "case_code"),)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(16))  # practitioner | operator | system
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # ok | denied
    case_id: Mapped[str | None] = mapped_column(String(32))
    case_code: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON of ids, never content
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The last entry of the chain; locked by each writer so the chain never forks."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class KeyRotationStateRow(Base):
    __tablename__ = "key_rotation_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_key_id: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_table: Mapped[str | None] = mapped_column(String(64))
    last_id: Mapped[str | None] = mapped_column(String(64))
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
