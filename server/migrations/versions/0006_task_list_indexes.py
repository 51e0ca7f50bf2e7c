"""task list: partial indexes in list order (due date, none last, then id) per list status

The task list walks one of these in order and stops after a page, instead of sorting every
visible task; the query repeats each index's WHERE text literally so both SQLite and PostgreSQL
can prove it applies.

Revision ID: 0006_task_list_indexes
Revises: 0004_tasks
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_task_list_indexes"
down_revision = "0004_tasks"
branch_labels = None
depends_on = None

ORDER = [sa.text("environment_id"), sa.text("(due_at IS NULL)"), sa.text("due_at"), sa.text("id")]
INDEXES = {
    "ix_human_tasks_list_open": "status IN ('open', 'claimed', 'delegated')",
    "ix_human_tasks_list_done": "status = 'completed'",
    "ix_human_tasks_list_all": "status <> 'not_needed'",
}


def upgrade() -> None:
    for name, where in INDEXES.items():
        op.create_index(name, "human_tasks", ORDER, sqlite_where=sa.text(where), postgresql_where=sa.text(where))
    op.create_index("ix_human_tasks_env_supplier_lower", "human_tasks",
                    [sa.text("environment_id"), sa.text("lower(supplier_name)")])


def downgrade() -> None:
    op.drop_index("ix_human_tasks_env_supplier_lower", table_name="human_tasks")
    for name in INDEXES:
        op.drop_index(name, table_name="human_tasks")
