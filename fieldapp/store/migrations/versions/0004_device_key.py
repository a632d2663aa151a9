"""The laptop's signing credentials: its sealed device key, certificate, chain, CRL and
the institution's evidence key (fieldapp.store.signing).

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('device_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server_url', sa.String(length=500), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('key_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('cert_pem', sa.Text(), nullable=True),
    sa.Column('chain_pem', sa.Text(), nullable=True),
    sa.Column('crl_der', sa.LargeBinary(), nullable=True),
    sa.Column('evidence_key_pem', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(), nullable=True),
    sa.Column('crl_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_device_credentials_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_credentials'))
    )


def downgrade() -> None:
    op.drop_table('device_credentials')
