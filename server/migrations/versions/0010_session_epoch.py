"""users: a session epoch that ends every session of a user, and the global operator flag

A session cookie is signed on the client, so the server cannot delete it; it can only stop accepting
it. `session_epoch` is written into the cookie at login and compared on every request; logout,
password change, deactivation and role change raise it, and every cookie issued before is refused.
Cookies of the previous release carry no epoch and are refused too: everyone logs in once more.

`operator` marks the few people who may list and create environments (granted only on the machine,
`stroom operators grant LOGIN`); an environment's admin no longer can.

Revision ID: 0010_session_epoch
Revises: 0009_task_supplier_search
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_session_epoch"
down_revision = "0009_task_supplier_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("users", sa.Column("operator", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    # Not batch mode (a table copy); ALTER TABLE .. DROP COLUMN is native since SQLite 3.35.
    op.execute("ALTER TABLE users DROP COLUMN operator")
    op.execute("ALTER TABLE users DROP COLUMN session_epoch")
