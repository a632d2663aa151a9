"""The institution's settings (the creditor's names and addresses per language, its
registration), one row set by an administrator and sent to every laptop; and the agents'
replies to returned visits.

Revision ID: 0007_institution
Revises: 0006_appointments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_institution"
down_revision = "0006_appointments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "institution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("registration", sa.String(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_institution_single_row")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_institution_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institution")),
    )
    op.create_table(
        "review_replies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("visit_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_review_replies_agent_id_users")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_review_replies_visit_id_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_replies")),
    )
    with op.batch_alter_table("review_replies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_replies_visit_id"), ["visit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_replies_visit_id"))
    op.drop_table("review_replies")
    op.drop_table("institution")
