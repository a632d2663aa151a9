"""The document-signing authority: its keys, the certificates it issued (with revocation),
and the signed documents the server received and sealed.

Revision ID: 0004_signing
Revises: 0003_security
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0004_signing"
down_revision = "0003_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("cert_pem", sa.Text(), nullable=True),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("key_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "issued_certificates",
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("device_pk", sa.String(length=36), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("cert_pem", sa.Text(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compromised_since", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["device_pk"], ["devices.id"],
                                name=op.f("fk_issued_certificates_device_pk_devices")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_issued_certificates_user_id_users")),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_issued_certificates")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_issued_certificates_fingerprint")),
    )
    op.create_index(op.f("ix_issued_certificates_device_pk"), "issued_certificates", ["device_pk"])
    op.create_index(op.f("ix_issued_certificates_user_id"), "issued_certificates", ["user_id"])
    op.create_table(
        "signed_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("visit_id", sa.String(length=64), nullable=True),
        sa.Column("agreement_id", sa.String(length=64), nullable=True),
        sa.Column("terms_sha256", sa.String(length=64), nullable=True),
        sa.Column("received_sha256", sa.String(length=64), nullable=False),
        sa.Column("sealed_sha256", sa.String(length=64), nullable=True),
        sa.Column("cert_serial", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cert_serial"], ["issued_certificates.serial"],
                                name=op.f("fk_signed_documents_cert_serial_issued_certificates")),
        sa.ForeignKeyConstraint(["received_sha256"], ["attachments.sha256"],
                                name=op.f("fk_signed_documents_received_sha256_attachments")),
        sa.ForeignKeyConstraint(["sealed_sha256"], ["attachments.sha256"],
                                name=op.f("fk_signed_documents_sealed_sha256_attachments")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_signed_documents_visit_id_visits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signed_documents")),
        sa.UniqueConstraint("received_sha256", name=op.f("uq_signed_documents_received_sha256")),
    )
    op.create_index(op.f("ix_signed_documents_cert_serial"), "signed_documents", ["cert_serial"])
    op.create_index(op.f("ix_signed_documents_sealed_sha256"), "signed_documents", ["sealed_sha256"])
    op.create_index(op.f("ix_signed_documents_terms_sha256"), "signed_documents", ["terms_sha256"])
    op.create_index(op.f("ix_signed_documents_visit_id"), "signed_documents", ["visit_id"])


def downgrade() -> None:
    op.drop_table("signed_documents")
    op.drop_table("issued_certificates")
    op.drop_table("signing_keys")
