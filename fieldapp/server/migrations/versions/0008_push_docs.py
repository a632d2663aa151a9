"""Visits indexed by case and start: a push adds a new visit to its case's document
without reading the case's earlier visits.

Revision ID: 0008_push_docs
Revises: 0007_institution
"""

from __future__ import annotations

from alembic import op

revision = "0008_push_docs"
down_revision = "0007_institution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_visits_case_started", "visits", ["case_id", "started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_visits_case_started", table_name="visits")
