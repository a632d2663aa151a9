"""Security: who uploaded each attachment (only they may link it to a visit); the history of
who held each case, and when each device learned that a case left its user (late work is
judged by them); late visits marked; each device's pull cursor.

Revision ID: 0003_security
Revises: 0002_case_document
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_security"
down_revision = "0002_case_document"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment_uploads",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("device_pk", sa.String(length=36), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["attachments.sha256"],
                                name=op.f("fk_attachment_uploads_sha256_attachments")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_attachment_uploads_user_id_users")),
        sa.ForeignKeyConstraint(["device_pk"], ["devices.id"],
                                name=op.f("fk_attachment_uploads_device_pk_devices")),
        sa.PrimaryKeyConstraint("sha256", "user_id", name=op.f("pk_attachment_uploads")),
    )
    # Existing attachments: their first uploader is the one known.
    op.execute("INSERT INTO attachment_uploads (sha256, user_id, device_pk, at) "
               "SELECT sha256, uploaded_by, NULL, created_at FROM attachments")


    op.create_table(
        "case_assignments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_seq", sa.BigInteger(), nullable=False),
        sa.Column("end_reason", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_assignments_case_id_cases")),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_case_assignments_agent_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_assignments")),
    )
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_assignments_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_case_assignments_agent_case", ["agent_id", "case_id"], unique=False)
    op.create_table(
        "withdrawal_acks",
        sa.Column("assignment_id", sa.String(length=36), nullable=False),
        sa.Column("device_pk", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("served_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["case_assignments.id"],
                                name=op.f("fk_withdrawal_acks_assignment_id_case_assignments")),
        sa.ForeignKeyConstraint(["device_pk"], ["devices.id"], name=op.f("fk_withdrawal_acks_device_pk_devices")),
        sa.PrimaryKeyConstraint("assignment_id", "device_pk", name=op.f("pk_withdrawal_acks")),
    )
    with op.batch_alter_table("withdrawal_acks", schema=None) as batch_op:
        batch_op.create_index("ix_withdrawal_acks_device_seq", ["device_pk", "seq"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
    # Open assigned cases: held since they were created, as far as the database knows
    # (earlier periods were not recorded, so late work from before the upgrade stays refused).
    op.execute("UPDATE cases SET assigned_at = created_at "
               "WHERE assigned_agent_id IS NOT NULL AND status = 'open'")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pull_cursor", sa.BigInteger(), server_default="0", nullable=False))
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_column("late")
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("pull_cursor")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("assigned_at")
    with op.batch_alter_table("withdrawal_acks", schema=None) as batch_op:
        batch_op.drop_index("ix_withdrawal_acks_device_seq")
    op.drop_table("withdrawal_acks")
    with op.batch_alter_table("case_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_case_assignments_agent_case")
        batch_op.drop_index(batch_op.f("ix_case_assignments_case_id"))
    op.drop_table("case_assignments")
    op.drop_table("attachment_uploads")
