"""Announced visits: the appointment lifecycle, the notice queue, the customer's links and
page rate limiting, feedback and complaints; customers get an email address, users a staff
number, and notifications a link to the notice and appointment they belong to.

Appointments that exist already were imported as agreed: their state is "arranged".

Revision ID: 0006_appointments
Revises: 0005_practice
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_appointments"
down_revision = "0005_practice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('page_hits',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_page_hits'))
    )
    with op.batch_alter_table('page_hits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_page_hits_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_page_hits_key'), ['key'], unique=False)

    op.create_table('complaints',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('appointment_id', sa.String(length=36), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by', sa.String(length=36), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_complaints_agent_id_users')),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_complaints_answered_by_users')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_complaints_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_complaints_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('reference', name=op.f('uq_complaints_reference'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_case_id'), ['case_id'], unique=False)

    op.create_table('customer_links',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('appointment_id', sa.String(length=36), nullable=False),
    sa.Column('notice_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_customer_links_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_customer_links_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_links')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_customer_links_token_sha256'))
    )
    with op.batch_alter_table('customer_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_links_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_links_case_id'), ['case_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('appointment_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('agent_id', sa.String(length=36), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['users.id'], name=op.f('fk_feedback_agent_id_users')),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_feedback_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_feedback_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
    sa.UniqueConstraint('appointment_id', name=op.f('uq_feedback_appointment_id'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_case_id'), ['case_id'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('appointment_id', sa.String(length=36), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_message_id', sa.String(length=100), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('decision', sa.String(length=12), nullable=True),
    sa.Column('decided_by', sa.String(length=36), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_notices_appointment_id_appointments')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_notices_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_notices_decided_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_notices_state_next', ['state', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=24), server_default='arranged', nullable=False))
        batch_op.add_column(sa.Column('state_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('agent_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('proposed_by', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('proposed_via', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('outbox_item_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('replaces_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('requested_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('requested_end', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('visit_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_appointments_agent_id'), ['agent_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_appointments_outbox_item_id'), ['outbox_item_id'])
        batch_op.create_foreign_key(batch_op.f('fk_appointments_agent_id_users'), 'users', ['agent_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_appointments_proposed_by_users'), 'users', ['proposed_by'], ['id'])

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('notice_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_notifications_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_notifications_notice_id'), ['notice_id'])
        batch_op.create_foreign_key(batch_op.f('fk_notifications_appointment_id_appointments'), 'appointments', ['appointment_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_number', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('staff_number')

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_appointment_id_appointments'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_notifications_notice_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_notifications_appointment_id'))
        batch_op.drop_column('notice_id')
        batch_op.drop_column('appointment_id')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('email')

    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appointments_proposed_by_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_appointments_agent_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_appointments_outbox_item_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_appointments_agent_id'))
        batch_op.drop_column('visit_id')
        batch_op.drop_column('requested_end')
        batch_op.drop_column('requested_start')
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('outbox_item_id')
        batch_op.drop_column('proposed_via')
        batch_op.drop_column('proposed_by')
        batch_op.drop_column('agent_id')
        batch_op.drop_column('state_at')
        batch_op.drop_column('state')

    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_state_next')
        batch_op.drop_index(batch_op.f('ix_notices_case_id'))
        batch_op.drop_index(batch_op.f('ix_notices_appointment_id'))

    op.drop_table('notices')
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_case_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_agent_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('customer_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_links_case_id'))
        batch_op.drop_index(batch_op.f('ix_customer_links_appointment_id'))

    op.drop_table('customer_links')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_case_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_appointment_id'))
        batch_op.drop_index(batch_op.f('ix_complaints_agent_id'))

    op.drop_table('complaints')
    with op.batch_alter_table('page_hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_page_hits_key'))
        batch_op.drop_index(batch_op.f('ix_page_hits_at'))

    op.drop_table('page_hits')

