"""incidents: followed_up_at, so one incident starts at most one follow-up

A service step that failed for good starts the conversion task once. A manual retry and a leftover
automatic retry could each fail for good and each start one; the follow-up now claims this column
with a conditional update, which only one transaction can win.

Revision ID: 0014_ops_instances
Revises: 0018_designer
"""
import sqlalchemy as sa
from alembic import op

import server.db

revision = "0014_ops_instances"
down_revision = "0018_designer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("followed_up_at", server.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Not batch mode: ALTER TABLE .. DROP COLUMN is native since SQLite 3.35 (as in 0009).
    op.execute("ALTER TABLE incidents DROP COLUMN followed_up_at")
