"""master data: imports run as background jobs (masterdata_imports), name keys of every script

`masterdata_imports` holds an uploaded file until the worker has imported it, with its progress and
summary (created, updated, unchanged, refused rows with line numbers). Name keys were folded to a-z and
0-9 only ("Ørsted" -> "rsted", Greek and Cyrillic names -> ""); `normalise.fold` now keeps the letters
of every script, so the stored keys of suppliers and administrations are recomputed here, one UPDATE per
distinct raw value.

Revision ID: 0017_masterdata_bulk
Revises: 0014_ops_instances
"""
import sqlalchemy as sa
from alembic import op

from server.db import UTCDateTime
from server.masterdata.normalise import normalise_city, normalise_name

revision = "0017_masterdata_bulk"
down_revision = "0014_ops_instances"
branch_labels = None
depends_on = "0002_masterdata"  # the tables whose keys are recomputed live on that branch

KEYS = (("suppliers", "name", "normalised_name", normalise_name, 300),
        ("administrations", "name", "normalised_name", normalise_name, 300),
        ("administrations", "city", "normalised_city", normalise_city, 200))


def upgrade() -> None:
    op.create_table(
        "masterdata_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("edge", sa.String(10), nullable=False),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in ("total", "done", "created", "updated",
                                                                     "unchanged")),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        *(sa.Column(name, UTCDateTime(), nullable=True) for name in ("started_at", "heartbeat_at", "finished_at")),
    )
    op.create_index("ix_masterdata_imports_env_created", "masterdata_imports", ["environment_id", "created_at"])
    connection = op.get_bind()
    for table, raw, key, normalise, length in KEYS:
        values = connection.execute(sa.text(f"SELECT DISTINCT {raw} FROM {table}")).scalars().all()
        for value in values:
            connection.execute(
                sa.text(f"UPDATE {table} SET {key} = :key WHERE {raw} = :raw" if value is not None
                        else f"UPDATE {table} SET {key} = :key WHERE {raw} IS NULL"),
                {"key": normalise(value)[:length], "raw": value})


def downgrade() -> None:
    # The keys stay as recomputed: the old fold cannot be restored from them, and it lost letters.
    op.drop_index("ix_masterdata_imports_env_created", table_name="masterdata_imports")
    op.drop_table("masterdata_imports")
