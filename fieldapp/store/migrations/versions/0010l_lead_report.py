"""The team lead's queue keeps the hash of each visit's signed visit report, so the lead's
sync fetches the report with the agreement (fieldapp.store.reviews).

Revision ID: 0010l
Revises: 0009f
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa

revision = '0010l'
down_revision = '0009f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lead_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_sha256', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lead_reviews', schema=None) as batch_op:
        batch_op.drop_column('report_sha256')
