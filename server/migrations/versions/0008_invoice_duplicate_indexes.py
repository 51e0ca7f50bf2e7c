"""invoices: indexes for the duplicate check (same supplier and issue date, or same number in any case)

Every received invoice looks for earlier invoices of its supplier with the same issue date or the
same number (trimmed, lower case). With only (environment, supplier, number) the database read every
earlier invoice of that supplier, so ingest slowed down as a supplier's invoices piled up; with these
two each arm of the check is one index look-up.

Revision ID: 0008_invoice_duplicate_indexes
Revises: 0007_task_filter_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_invoice_duplicate_indexes"
down_revision = "0007_task_filter_indexes"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_invoices_env_supplier_issue_date": [sa.text("environment_id"), sa.text("supplier_key"),
                                            sa.text("issue_date")],
    "ix_invoices_env_supplier_folded_number": [sa.text("environment_id"), sa.text("supplier_key"),
                                               sa.text("lower(trim(number))")],
}


def upgrade() -> None:
    for name, expressions in INDEXES.items():
        op.create_index(name, "invoices", expressions)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="invoices")
