"""Withdrawn cases get a partial index: the purge after every sync finds them without a scan.

Revision ID: 0008s
Revises: 0008
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa

revision = '0008s'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_cases_withdrawn', table_name='cases')
    op.create_index('ix_cases_withdrawn_set', 'cases', ['withdrawn'], unique=False,
                    sqlite_where=sa.text('withdrawn IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_cases_withdrawn_set', table_name='cases')
    op.create_index('ix_cases_withdrawn', 'cases', ['withdrawn'], unique=False)
