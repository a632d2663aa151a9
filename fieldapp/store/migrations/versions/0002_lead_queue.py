"""The team lead's review queue: review items, the lead pull cursor, the last figures
(tables described in fieldapp.store.reviews).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lead_reviews',
    sa.Column('visit_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('agent', sa.String(length=100), nullable=False),
    sa.Column('visit_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('exceptions', sa.String(length=200), nullable=False),
    sa.Column('superseded_by', sa.String(length=64), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('pending_item', sa.String(length=64), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_lead_reviews'))
    )
    with op.batch_alter_table('lead_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_reviews_agent'), ['agent'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_reviews_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_reviews_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_reviews_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_reviews_visit_at'), ['visit_at'], unique=False)

    op.create_table('lead_meta',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('last_sync_at', sa.DateTime(), nullable=True),
    sa.Column('figures', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_lead_meta_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_meta'))
    )


def downgrade() -> None:
    op.drop_table('lead_meta')
    with op.batch_alter_table('lead_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_reviews_visit_at'))
        batch_op.drop_index(batch_op.f('ix_lead_reviews_state'))
        batch_op.drop_index(batch_op.f('ix_lead_reviews_outcome'))
        batch_op.drop_index(batch_op.f('ix_lead_reviews_case_id'))
        batch_op.drop_index(batch_op.f('ix_lead_reviews_agent'))
    op.drop_table('lead_reviews')
