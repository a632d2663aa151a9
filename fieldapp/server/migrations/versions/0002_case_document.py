"""Cases keep their ready-to-send document (the CaseRecord JSON) and what it was built with.

Existing cases start without one; a pull builds a missing or outdated document on the fly,
and the next change to the case stores it.

Revision ID: 0002_case_document
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_case_document"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("document_stamp", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("document_stamp")
        batch_op.drop_column("document")
