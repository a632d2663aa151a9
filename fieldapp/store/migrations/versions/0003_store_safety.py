"""Store safety: an outbox item that cannot be sent (its sealed payload fails authentication,
or cannot be read) is set aside as `quarantined`, with its code and reason, instead of
blocking every item behind it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

STATES = "'waiting','sending','accepted','rejected'"


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_state'), type_='check')
        batch_op.alter_column('state', existing_type=sa.String(length=10), type_=sa.String(length=12),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_outbox_state'), f"state IN ({STATES},'quarantined')")


def downgrade() -> None:
    # A quarantined item goes back to waiting: the next sync sets it aside again.
    op.execute("UPDATE outbox SET state = 'waiting' WHERE state = 'quarantined'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_state'), type_='check')
        batch_op.alter_column('state', existing_type=sa.String(length=12), type_=sa.String(length=10),
                              existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_outbox_state'), f"state IN ({STATES})")
