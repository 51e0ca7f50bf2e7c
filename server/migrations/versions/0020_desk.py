"""tasks: the invoice's number and currency on the task, for the task list's row label and amount

The list labelled rows by task id and showed every amount in euros. Both are copied from the instance
data when the task opens (as supplier and amount are), so a page of the list stays one query; existing
rows are filled from their instance's invoice.

Revision ID: 0020_desk
Revises: 0017_masterdata_bulk
"""
import sqlalchemy as sa
from alembic import op

revision = "0020_desk"
down_revision = "0017_masterdata_bulk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("human_tasks", sa.Column("invoice_number", sa.String(200), nullable=True))
    op.add_column("human_tasks", sa.Column("currency", sa.String(3), nullable=True))
    op.execute("UPDATE human_tasks SET "
               "invoice_number = (SELECT max(i.number) FROM invoices i WHERE i.instance_id = human_tasks.instance_id), "
               "currency = (SELECT max(i.currency) FROM invoices i WHERE i.instance_id = human_tasks.instance_id)")


def downgrade() -> None:
    # Not batch mode: ALTER TABLE .. DROP COLUMN is native since SQLite 3.35 (as in 0009).
    op.execute("ALTER TABLE human_tasks DROP COLUMN currency")
    op.execute("ALTER TABLE human_tasks DROP COLUMN invoice_number")
