"""The structured exit (issue 16): a case's exit report answers (encrypted, one per element),
and check-in schedules that run after their case is closed (the post-exit follow-up).

Revision ID: 0012_exit
Revises: 0011_review
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012_exit"
down_revision: str | None = "0011_review"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "exit_answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("element", sa.String(length=32), nullable=False),
        sa.Column("answer_enc", sa.LargeBinary(), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["practitioners.id"],
            name=op.f("fk_exit_answers_author_id_practitioners"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_exit_answers_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exit_answers")),
        sa.UniqueConstraint("case_id", "element", name=op.f("uq_exit_answers_case_id")),
    )
    with op.batch_alter_table("exit_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exit_answers_case_id"), ["case_id"], unique=False)
    with op.batch_alter_table("checkin_schedules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("after_close", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("checkin_schedules", schema=None) as batch_op:
        batch_op.drop_column("after_close")
    with op.batch_alter_table("exit_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exit_answers_case_id"))
    op.drop_table("exit_answers")
