"""The creditor's details as the server sends them (one row, see fieldapp.store.institution).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-05
"""

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('institution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_institution_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_institution'))
    )


def downgrade() -> None:
    op.drop_table('institution')
