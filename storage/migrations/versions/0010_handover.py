"""The case from release to exit (issue 16): release dates and their handover plans, the
continuity checklist's ticks, the information-sharing records (free text encrypted).

Revision ID: 0010_handover
Revises: 0009_guidance_feedback
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010_handover"
down_revision: str | None = "0009_guidance_feedback"
branch_labels: str | None = None
depends_on: str | None = None


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"], ["cases.id"], name=op.f(f"fk_{table}_case_id_cases"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "case_releases",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("release_on", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _case_fk("case_releases"),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_releases")),
    )
    op.create_table(
        "handover_ticks",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(length=32), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        _case_fk("handover_ticks"),
        sa.PrimaryKeyConstraint("case_id", "item_id", name=op.f("pk_handover_ticks")),
    )
    op.create_table(
        "handover_steps",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("step_id", sa.String(length=40), nullable=False),
        sa.Column("schedule_id", sa.String(length=32), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _case_fk("handover_steps"),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["checkin_schedules.id"],
            name=op.f("fk_handover_steps_schedule_id_checkin_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("case_id", "step_id", name=op.f("pk_handover_steps")),
    )
    op.create_index(
        op.f("ix_handover_steps_schedule_id"), "handover_steps", ["schedule_id"], unique=False
    )
    op.create_table(
        "sharing_records",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("allowed_enc", sa.LargeBinary(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("signed_by_enc", sa.LargeBinary(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("person_informed", sa.Boolean(), nullable=True),
        sa.Column("review_schedule_id", sa.String(length=32), nullable=True),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _case_fk("sharing_records"),
        sa.ForeignKeyConstraint(
            ["review_schedule_id"],
            ["checkin_schedules.id"],
            name=op.f("fk_sharing_records_review_schedule_id_checkin_schedules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_records")),
        sa.UniqueConstraint("case_id", name=op.f("uq_sharing_records_case_id")),
    )


def downgrade() -> None:
    op.drop_table("sharing_records")
    op.drop_index(op.f("ix_handover_steps_schedule_id"), table_name="handover_steps")
    op.drop_table("handover_steps")
    op.drop_table("handover_ticks")
    op.drop_table("case_releases")
