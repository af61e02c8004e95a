"""Pinned identities: the Matrix cross-signing master key pinned per chat identity.

`pinned_master_key` is set when the invite is redeemed (trust on first use, bound to the code)
or by `relais admin trust`; `seen_master_key` holds a different key seen since, until the
coordinator confirms it.

Revision ID: 0004_pinned_identities
Revises: 0003_outbox_failures
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_pinned_identities"
down_revision: str | None = "0003_outbox_failures"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pinned_master_key", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("seen_master_key", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channel_identities", schema=None) as batch_op:
        batch_op.drop_column("seen_master_key")
        batch_op.drop_column("pinned_master_key")
