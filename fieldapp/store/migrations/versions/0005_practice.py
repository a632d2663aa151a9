"""The agent's finished practices of conversation scripts (fieldapp.store.practice).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('practice_runs',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('script_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practice_runs'))
    )
    with op.batch_alter_table('practice_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practice_runs_script_id'), ['script_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('practice_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practice_runs_script_id'))
    op.drop_table('practice_runs')
