"""Relais Studio: one-time login links and browser sessions (token digests only).

Revision ID: 0013_studio
Revises: 0012_exit
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013_studio"
down_revision: str | None = "0012_exit"
branch_labels: str | None = None
depends_on: str | None = None


def _table(name: str, *times: tuple[str, bool]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("practitioner_id", sa.String(length=32), nullable=False),
        *(sa.Column(t, sa.DateTime(timezone=True), nullable=null) for t, null in times),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f(f"fk_{name}_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("token_hash", name=op.f(f"uq_{name}_token_hash")),
    )
    op.create_index(op.f(f"ix_{name}_practitioner_id"), name, ["practitioner_id"], unique=False)


def upgrade() -> None:
    _table(
        "studio_links",
        ("created_at", False),
        ("expires_at", False),
        ("used_at", True),
    )
    _table(
        "studio_sessions",
        ("created_at", False),
        ("last_seen_at", False),
        ("expires_at", False),
        ("ended_at", True),
    )


def downgrade() -> None:
    for name in ("studio_sessions", "studio_links"):
        op.drop_index(op.f(f"ix_{name}_practitioner_id"), table_name=name)
        op.drop_table(name)
