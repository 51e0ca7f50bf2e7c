"""tasks: saved task list filters, per user, optionally shared read-only with one of the owner's groups

A filter is the task list's query string (only what differs from the default list), so applying it is a
link and counting it is the list's own query.

Revision ID: 0024_saved_filters
Revises: 0023_incident_causes
"""
import sqlalchemy as sa
from alembic import op

revision = "0024_saved_filters"
down_revision = "0023_incident_causes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_task_filters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("environment_id", sa.Integer, sa.ForeignKey("environments.id"), nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("group_name", sa.String(100), nullable=True),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("environment_id", "owner", "name", name="uq_saved_task_filters_owner_name"),
    )
    op.create_index("ix_saved_task_filters_env_group", "saved_task_filters", ["environment_id", "group_name"])


def downgrade() -> None:
    op.drop_index("ix_saved_task_filters_env_group", table_name="saved_task_filters")
    op.drop_table("saved_task_filters")
