"""In the field: the laptop's calls and messages to customers, cached map tiles, and
photos taken for visits (fieldapp.store.field).

Revision ID: 0009f
Revises: 0008s
Create Date: 2026-12-06
"""

from alembic import op
import sqlalchemy as sa

revision = '0009f'
down_revision = '0008s'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_attempts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('result', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_attempts'))
    )
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_attempts_case_id'), ['case_id'], unique=False)
    op.create_table('case_photos',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('captured_at', sa.DateTime(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('visit_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_case_photos'))
    )
    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_photos_case_id'), ['case_id'], unique=False)
    op.create_table('map_tiles',
    sa.Column('z', sa.Integer(), nullable=False),
    sa.Column('x', sa.Integer(), nullable=False),
    sa.Column('y', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('png', sa.LargeBinary(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('z', 'x', 'y', name=op.f('pk_map_tiles'))
    )


def downgrade() -> None:
    op.drop_table('map_tiles')
    with op.batch_alter_table('case_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_photos_case_id'))
    op.drop_table('case_photos')
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_attempts_case_id'))
    op.drop_table('contact_attempts')
