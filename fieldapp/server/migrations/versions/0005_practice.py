"""Practice runs: who practised which conversation script version, and when.

Revision ID: 0005_practice
Revises: 0004_signing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_practice"
down_revision = "0004_signing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("script_id", sa.String(length=100), nullable=False),
        sa.Column("script_version", sa.Integer(), nullable=False),
        sa.Column("script_sha256", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_practice_runs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_runs")),
    )
    op.create_index("ix_practice_runs_user_script", "practice_runs", ["user_id", "script_id", "script_version"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_practice_runs_user_script", table_name="practice_runs")
    op.drop_table("practice_runs")
