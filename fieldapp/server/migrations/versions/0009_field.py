"""In the field: the agents' calls and messages to customers (contact attempts), and the
institution's map tile server.

Revision ID: 0009_field
Revises: 0008_push_docs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_field"
down_revision = "0008_push_docs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_attempts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("outbox_item_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_contact_attempts_agent_id_users")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_contact_attempts_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_attempts")),
        sa.UniqueConstraint("outbox_item_id", name=op.f("uq_contact_attempts_outbox_item_id")),
    )
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_attempts_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_attempts_agent_id"), ["agent_id"], unique=False)
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tile_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("institution", schema=None) as batch_op:
        batch_op.drop_column("tile_url")
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_attempts_agent_id"))
        batch_op.drop_index(batch_op.f("ix_contact_attempts_case_id"))
    op.drop_table("contact_attempts")
