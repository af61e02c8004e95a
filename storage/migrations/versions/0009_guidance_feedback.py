"""Answers to "Did this help?" at the end of a dialog: dialog, version, language, day; the
optional comment encrypted. No person, no case.

Revision ID: 0009_guidance_feedback
Revises: 0008_usage_counts
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009_guidance_feedback"
down_revision: str | None = "0008_usage_counts"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "guidance_feedback",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dialog_id", sa.String(length=64), nullable=False),
        sa.Column("dialog_version", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("comment_enc", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guidance_feedback")),
    )
    op.create_index(
        "ix_guidance_feedback_dialog_day", "guidance_feedback", ["dialog_id", "day"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_guidance_feedback_dialog_day", table_name="guidance_feedback")
    op.drop_table("guidance_feedback")
