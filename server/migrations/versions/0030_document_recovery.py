"""received documents: what recovering one left unprocessed needs, and a lock on its status change

Ingest stores a document in one transaction and processes it in a second; a process that dies (or
processing that raises) in between left it `received` for good. The worker's `recover_received` job now
processes such documents (server.invoices.recovery): `recovery_attempts` and `recovery_due` let one
runner claim a document at a time and back off after a failure, `recovery_error` shows the last failure
in the inbox. The partial index finds the few documents still `received` without scanning the table.

Revision ID: 0030_document_recovery
Revises: 0029_masterdata_fks
"""
import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

revision = "0030_document_recovery"
down_revision = "0029_masterdata_fks"
branch_labels = None
depends_on = None
UNPROCESSED = sa.text("status = 'received'")


def upgrade() -> None:
    op.add_column("received_documents",
                  sa.Column("recovery_attempts", sa.Integer, nullable=False, server_default="0"))
    op.add_column("received_documents", sa.Column("recovery_due", UTCDateTime(timezone=True), nullable=True))
    op.add_column("received_documents", sa.Column("recovery_error", sa.Text, nullable=True))
    op.create_index("ix_received_documents_unprocessed", "received_documents", ["received_at"],
                    postgresql_where=UNPROCESSED, sqlite_where=UNPROCESSED)


def downgrade() -> None:
    op.drop_index("ix_received_documents_unprocessed", table_name="received_documents")
    # Not batch mode: ALTER TABLE .. DROP COLUMN is native since SQLite 3.35 (as in 0023).
    for column in ("recovery_error", "recovery_due", "recovery_attempts"):
        op.execute(f"ALTER TABLE received_documents DROP COLUMN {column}")
