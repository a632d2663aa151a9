"""Security: who uploaded each attachment (only they may link it to a visit).

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


def downgrade() -> None:
    op.drop_table("attachment_uploads")
