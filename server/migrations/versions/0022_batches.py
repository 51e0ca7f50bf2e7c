"""batches: one administrative verb over many instances chosen by a filter, run by the job worker

`batches` holds the verb, the filter, who started it and the progress; `batch_items` the instances the
filter matched at the start, each with its result (succeeded, failed with a reason, not attempted).

Revision ID: 0022_batches
Revises: 0020_desk
"""
import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime

revision = "0022_batches"
down_revision = "0020_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("edge", sa.String(10), nullable=False),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filter", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in ("total", "succeeded", "failed")),
        sa.Column("cancelled_by", sa.String(200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *(sa.Column(name, UTCDateTime(), nullable=True) for name in ("started_at", "heartbeat_at", "finished_at")),
    )
    op.create_index("ix_batches_env_id", "batches", ["environment_id", "id"])
    op.create_table(
        "batch_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("batch_id", sa.Integer(), sa.ForeignKey("batches.id", ondelete="CASCADE"), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_batch_items_batch_status", "batch_items", ["batch_id", "status", "id"])


def downgrade() -> None:
    op.drop_index("ix_batch_items_batch_status", table_name="batch_items")
    op.drop_table("batch_items")
    op.drop_index("ix_batches_env_id", table_name="batches")
    op.drop_table("batches")
