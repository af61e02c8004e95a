"""Usage figures per dialog node and crisis-referral counts, by day: no person in them.

Revision ID: 0008_usage_counts
Revises: 0007_process_leases
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_usage_counts"
down_revision: str | None = "0007_process_leases"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "usage_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dialog_id", sa.String(length=64), nullable=False),
        sa.Column("dialog_version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "dialog_id",
            "dialog_version",
            "lang",
            "node_id",
            "measure",
            "item",
            name=op.f("pk_usage_counts"),
        ),
    )
    op.create_table(
        "referral_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("dialog_id", sa.String(length=64), nullable=False),
        sa.Column("entry", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "team_id", "dialog_id", "entry", "kind", name=op.f("pk_referral_counts")
        ),
    )


def downgrade() -> None:
    op.drop_table("referral_counts")
    op.drop_table("usage_counts")
