"""tasks: delegation (owner / delegate, also across partner environments), comments, list indexes,
partnership requests

Revision ID: 0004_tasks
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import server.db

revision = "0004_tasks"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("delegated_to", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("delegate_environment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("delegation_state", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("comments", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.create_foreign_key(op.f("fk_human_tasks_delegate_environment_id_environments"),
                                    "environments", ["delegate_environment_id"], ["id"])
        batch_op.create_index("ix_human_tasks_env_assignee_status", ["environment_id", "assignee", "status"])
        batch_op.create_index("ix_human_tasks_delegate", ["delegate_environment_id", "delegated_to", "status"])
        batch_op.create_index("ix_human_tasks_env_owner", ["environment_id", "owner"])
        batch_op.create_index("ix_human_tasks_env_completed_by", ["environment_id", "completed_by"])
        batch_op.create_index("ix_human_tasks_env_process_status", ["environment_id", "process_key", "status"])
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=20), nullable=False,
                                      server_default="active"))
        batch_op.add_column(sa.Column("requested_by", sa.String(length=200), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("accepted_at", server.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.drop_column("accepted_at")
        batch_op.drop_column("requested_by")
        batch_op.drop_column("status")
    with op.batch_alter_table("human_tasks", schema=None) as batch_op:
        for name in ("ix_human_tasks_env_process_status", "ix_human_tasks_env_completed_by",
                     "ix_human_tasks_env_owner", "ix_human_tasks_delegate", "ix_human_tasks_env_assignee_status"):
            batch_op.drop_index(name)
        batch_op.drop_constraint(op.f("fk_human_tasks_delegate_environment_id_environments"), type_="foreignkey")
        for column in ("comments", "delegation_state", "delegate_environment_id", "delegated_to"):
            batch_op.drop_column(column)
