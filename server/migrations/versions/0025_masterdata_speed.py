"""audit: per-record details of batch entries (master-data imports write one chained entry per chunk)

A master-data import audited every changed record as its own chained entry (about 55 us a record, most
of an import's time). Each chunk now writes one chained entry holding a SHA-256 digest of its records;
the records themselves (before and after, as canonical JSON) are rows of `audit_details`, queryable by
record, and `audit verify` recomputes every digest from them.

Revision ID: 0025_masterdata_speed
Revises: 0024_saved_filters
"""
import sqlalchemy as sa
from alembic import op

revision = "0025_masterdata_speed"
down_revision = "0024_saved_filters"
branch_labels = None
depends_on = "0005_audit_protect"  # its append-only trigger function is reused


def upgrade() -> None:
    op.create_table(
        "audit_details",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id"), nullable=False),
        sa.Column("batch", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_details_batch", "audit_details", ["batch", "position"])
    op.create_index("ix_audit_details_record", "audit_details", ["environment_id", "target_type", "target_id"])
    # Append-only like audit_events (0005; its PostgreSQL function is reused): the digests show any
    # change anyway, the triggers refuse it from the application's own connection.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER audit_details_no_change BEFORE UPDATE OR DELETE ON audit_details "
                   "FOR EACH ROW EXECUTE FUNCTION stroom_audit_append_only()")
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_details FROM PUBLIC")
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_details_no_{verb.lower()} BEFORE {verb} ON audit_details "
                   f"BEGIN SELECT RAISE(ABORT, 'audit_details is append-only: {verb} refused'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_details_no_change ON audit_details")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_details_no_{verb}")
    op.drop_index("ix_audit_details_record", table_name="audit_details")
    op.drop_index("ix_audit_details_batch", table_name="audit_details")
    op.drop_table("audit_details")
