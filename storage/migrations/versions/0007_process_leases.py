"""More than one process: leases (a Matrix account's one sync stream) and webhook claims
(each Telegram update handled once, a chat's updates in order across processes).

Revision ID: 0007_process_leases
Revises: 0006_invite_role
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_process_leases"
down_revision: str | None = "0006_invite_role"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "process_leases",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_process_leases")),
    )
    op.create_table(
        "webhook_claims",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_key", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel", "update_id", name=op.f("pk_webhook_claims")),
    )
    op.create_index(
        "ix_webhook_claims_chat", "webhook_claims", ["channel", "chat_key", "update_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_claims_chat", table_name="webhook_claims")
    op.drop_table("webhook_claims")
    op.drop_table("process_leases")
