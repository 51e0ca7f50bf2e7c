"""task list: partial indexes for the amount and supplier filters of open and done tasks

Without them the planner walks the list-order index and filters every open task (100-200 ms at
100,000 open tasks); with them it reads only the matching rows and sorts those (~10-15 ms).

Revision ID: 0007_task_filter_indexes
Revises: 0006_task_list_indexes
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_task_filter_indexes"
down_revision = "0006_task_list_indexes"
branch_labels = None
depends_on = None

STATUSES = {
    "open": "status IN ('open', 'claimed', 'delegated')",
    "done": "status = 'completed'",
}
COLUMNS = {
    "amount": [sa.text("environment_id"), sa.text("amount")],
    "supplier": [sa.text("environment_id"), sa.text("lower(supplier_name)")],
}


def _names():
    for status, where in STATUSES.items():
        for column, expressions in COLUMNS.items():
            yield f"ix_human_tasks_{status}_{column}", expressions, where


def upgrade() -> None:
    for name, expressions, where in _names():
        op.create_index(name, "human_tasks", expressions, sqlite_where=sa.text(where),
                        postgresql_where=sa.text(where))


def downgrade() -> None:
    for name, _expressions, _where in _names():
        op.drop_index(name, table_name="human_tasks")
