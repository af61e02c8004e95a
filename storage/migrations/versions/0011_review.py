"""The monthly multi-agency review: a team's review day, which check-in schedule is a case's
monthly review (`case_reviews`), and the decisions taken at reviews (`case_decisions`: the
decision's text is its note's; the outcome encrypted).

Existing open cases get their review check-in when Relais next starts
(`bot.review.schedule.ensure_review_checkins`, idempotent): the default day and time are in
the configuration, which a migration does not read.

Revision ID: 0011_review
Revises: 0010_handover
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011_review"
down_revision: str | None = "0010_handover"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_day", sa.Integer(), nullable=True))
    op.create_table(
        "case_reviews",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("schedule_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_reviews_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["checkin_schedules.id"],
            name=op.f("fk_case_reviews_schedule_id_checkin_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_reviews")),
        sa.UniqueConstraint("schedule_id", name=op.f("uq_case_reviews_schedule_id")),
    )
    op.create_table(
        "case_decisions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("note_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome_enc", sa.LargeBinary(), nullable=True),
        sa.Column("settled_by", sa.String(length=32), nullable=True),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_decisions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["notes.id"],
            name=op.f("fk_case_decisions_note_id_notes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["settled_by"],
            ["practitioners.id"],
            name=op.f("fk_case_decisions_settled_by_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_decisions")),
        sa.UniqueConstraint("case_id", "number", name=op.f("uq_case_decisions_case_id")),
        sa.UniqueConstraint("note_id", name=op.f("uq_case_decisions_note_id")),
    )
    op.create_index(op.f("ix_case_decisions_case_id"), "case_decisions", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_decisions_case_id"), table_name="case_decisions")
    op.drop_table("case_decisions")
    op.drop_table("case_reviews")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("review_day")
