"""Publishing record: each version keeps the transcript tests it passed, when it was reviewed,
who published it, and which shell user acted for a practitioner (`relais dialogs ... --as`);
a draft keeps the checksum its reviewer approved; the revisions shown to reviewers; the draft
files each practitioner sent (a limit per hour).

Revision ID: 0005_publishing_record
Revises: 0004_pinned_identities
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005_publishing_record"
down_revision: str | None = "0004_pinned_identities"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("dialog_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tests", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("publisher_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("author_via", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reviewer_via", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("publisher_via", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_dialog_versions_publisher_id_practitioners"),
            "practitioners",
            ["publisher_id"],
            ["id"],
        )
    with op.batch_alter_table("dialog_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_checksum", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("author_via", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reviewer_via", sa.String(length=64), nullable=True))
    op.create_table(
        "dialog_review_views",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("draft_id", sa.String(length=32), nullable=False),
        sa.Column("reviewer_id", sa.String(length=32), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["dialog_drafts.id"],
            name=op.f("fk_dialog_review_views_draft_id_dialog_drafts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["practitioners.id"],
            name=op.f("fk_dialog_review_views_reviewer_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialog_review_views")),
    )
    with op.batch_alter_table("dialog_review_views", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dialog_review_views_draft_id"), ["draft_id"], unique=False
        )
    op.create_table(
        "dialog_draft_uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("practitioner_id", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_dialog_draft_uploads_practitioner_id_practitioners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dialog_draft_uploads")),
    )
    with op.batch_alter_table("dialog_draft_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dialog_draft_uploads_practitioner_id"),
            ["practitioner_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("dialog_draft_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dialog_draft_uploads_practitioner_id"))
    op.drop_table("dialog_draft_uploads")
    with op.batch_alter_table("dialog_review_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dialog_review_views_draft_id"))
    op.drop_table("dialog_review_views")
    with op.batch_alter_table("dialog_drafts", schema=None) as batch_op:
        batch_op.drop_column("reviewer_via")
        batch_op.drop_column("author_via")
        batch_op.drop_column("reviewed_checksum")
    with op.batch_alter_table("dialog_versions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_dialog_versions_publisher_id_practitioners"), type_="foreignkey"
        )
        batch_op.drop_column("publisher_via")
        batch_op.drop_column("reviewer_via")
        batch_op.drop_column("author_via")
        batch_op.drop_column("publisher_id")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("tests")
