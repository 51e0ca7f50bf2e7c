"""audit log: keyed chain (HMAC-SHA256 under the audit key) from here on; the old SHA-256 rows are sealed

Until now anyone with write access to the database could switch the append-only trigger off, edit a
row and recompute the plain SHA-256 chain. New links are HMAC-SHA256 under a key kept outside the
database (STROOM_AUDIT_KEY or instance/audit_key, server/audit/keys.py). For every environment that
already has entries, `audit_keyed_segments` records where its keyed segment starts (the next seq)
and the last old hash, sealed with the key: the old rows stay verifiable as the SHA-256 chain, and
neither they nor the segment start can be changed without verify noticing.

The key comes from the caller (`stroom db upgrade` passes the host's); without one it is loaded from
the STROOM_* settings like the app does, and only when there are entries to seal. A downgrade drops
the segment table but keeps the rows; the old SHA-256 verify then rejects every keyed row.

Revision ID: 0011_keyed_audit_chain
Revises: 0009_task_supplier_search
"""
import sqlalchemy as sa
from alembic import context, op

from server.audit.keys import keyed_hash, load_key
from server.audit.verify import seal_message
from server.db import utcnow

revision = "0011_keyed_audit_chain"
down_revision = "0010_session_epoch"
branch_labels = None
depends_on = None


def _key() -> bytes:
    key = context.config.attributes.get("audit_key")
    if key:
        return bytes(key)
    from server.settings import load_settings

    return load_key(load_settings())


def upgrade() -> None:
    segments = op.create_table(
        "audit_keyed_segments",
        sa.Column("environment_id", sa.Integer(), sa.ForeignKey("environments.id"), primary_key=True),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("legacy_head", sa.String(64), nullable=False),
        sa.Column("seal", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    )
    heads = op.get_bind().execute(sa.text(
        "SELECT environment_id, seq, hash FROM audit_chain_heads WHERE seq > 0 ORDER BY environment_id")).all()
    if not heads:
        return
    key, now = _key(), utcnow()
    op.bulk_insert(segments, [
        {"environment_id": env, "first_seq": seq + 1, "legacy_head": head,
         "seal": keyed_hash(key, seal_message(env, seq + 1, head)), "started_at": now}
        for env, seq, head in heads])


def downgrade() -> None:
    op.drop_table("audit_keyed_segments")
