"""environments: the python_scripts setting, off by default

Python script tasks and expressions run only in environments whose admin turned this on, and then
in the sandbox's worker processes (server/sandbox). Existing environments start with it off.

Revision ID: 0012_python_scripts_setting
Revises: 0009_task_supplier_search
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_python_scripts_setting"
down_revision = "0011_keyed_audit_chain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("environments", sa.Column("python_scripts", sa.Boolean(), nullable=False,
                                            server_default=sa.false()))


def downgrade() -> None:
    # Not batch mode: ALTER TABLE .. DROP COLUMN is native since SQLite 3.35 (as in 0009).
    op.execute("ALTER TABLE environments DROP COLUMN python_scripts")
