"""Usage figures per team: `usage_counts.team_id` joins the primary key (a team, never a
person). Rows counted before keep "" = unknown team (a primary-key column cannot be NULL, and
the counting upsert needs every key column to compare equal).

Revision ID: 0014_usage_team
Revises: 0013_studio
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0014_usage_team"
down_revision: str | None = "0013_studio"
branch_labels: str | None = None
depends_on: str | None = None

_KEY = ["day", "dialog_id", "dialog_version", "lang", "node_id", "measure", "item"]


def upgrade() -> None:
    with op.batch_alter_table("usage_counts", recreate="auto") as batch:
        batch.add_column(
            sa.Column("team_id", sa.String(length=32), server_default="", nullable=False)
        )
        batch.drop_constraint("pk_usage_counts", type_="primary")
        batch.create_primary_key("pk_usage_counts", [*_KEY, "team_id"])


def downgrade() -> None:
    # the teams' rows are added together again under the old key
    op.execute(
        "CREATE TABLE usage_counts_merged AS SELECT day, dialog_id, dialog_version, lang, "
        "node_id, measure, item, SUM(count) AS count FROM usage_counts GROUP BY day, dialog_id, "
        "dialog_version, lang, node_id, measure, item"
    )
    op.execute("DELETE FROM usage_counts")
    with op.batch_alter_table("usage_counts", recreate="auto") as batch:
        batch.drop_constraint("pk_usage_counts", type_="primary")
        batch.drop_column("team_id")
        batch.create_primary_key("pk_usage_counts", _KEY)
    op.execute(
        "INSERT INTO usage_counts (day, dialog_id, dialog_version, lang, node_id, measure, item, "
        "count) SELECT day, dialog_id, dialog_version, lang, node_id, measure, item, count "
        "FROM usage_counts_merged"
    )
    op.drop_table("usage_counts_merged")
