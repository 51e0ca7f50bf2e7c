"""Someone with database access but not the audit key cannot rewrite history so that verify passes.

The attacker works through a connection of their own: switches the append-only triggers off, edits a
row and recomputes every following link the old way (plain SHA-256) or with a key they might guess.
On main (plain SHA-256 chain) the first of these passed `stroom audit verify`.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import create_engine, insert, select, text

from server.audit import checkpoints
from server.audit import service as audit
from server.audit.keys import KEY_FILE, load_key
from server.audit.models import AuditEvent
from server.audit.verify import WRONG_KEY, verify
from server.cli import build
from server.db import Database
from server.host import open_host
from server.migrate import alembic_config, upgrade
from server.settings import SettingsError, load_settings
from tests.conftest import make_settings
from tests.integration.audit.test_tampering import write_entries

OTHER_KEY = b"not-the-key-" + b"x" * 40
Link = Callable[[str, dict[str, Any]], str]
OLD_WAY: Link = lambda prev, row: audit.entry_hash(prev, row)  # noqa: E731
GUESSES: dict[str, Link] = {
    "old-sha256": OLD_WAY,
    "hmac-empty-key": lambda prev, row: audit.entry_hash(prev, row, b""),
    "hmac-flask-secret": lambda prev, row: audit.entry_hash(prev, row, b"test-secret"),
}


def attacker(url: str) -> Any:
    """A connection of the attacker's own with the append-only guard switched off."""
    engine = create_engine(url)
    conn = engine.connect()
    conn.begin()
    if engine.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
    return conn


def rechain(conn: Any, env_id: int, from_seq: int, link: Link, *, upto: int | None = None) -> str:
    """Recompute prev_hash and hash of rows from `from_seq` on (to `upto`); moves the head; returns the last hash."""
    prev = conn.execute(select(AuditEvent.hash).where(AuditEvent.environment_id == env_id,
                                                      AuditEvent.seq == from_seq - 1)).scalar() or audit.GENESIS
    query = select(AuditEvent).where(AuditEvent.environment_id == env_id, AuditEvent.seq >= from_seq)
    if upto is not None:
        query = query.where(AuditEvent.seq <= upto)
    for row in conn.execute(query.order_by(AuditEvent.seq)).mappings().all():
        fields = {**row, "prev_hash": prev}
        prev = link(prev, fields)
        conn.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :id"),
                     {"p": fields["prev_hash"], "h": prev, "id": row["id"]})
    if upto is None:
        conn.execute(text("UPDATE audit_chain_heads SET hash = :h WHERE environment_id = :e"),
                     {"h": prev, "e": env_id})
    return prev


def check(host, env_id=None):
    with host.db.unit_of_work() as session:
        return verify(session, env_id, key=host.audit_key)


@pytest.mark.parametrize("guess", GUESSES)
def test_an_edited_and_rechained_log_fails_verify_without_the_key(host, guess):
    env_id = write_entries(host, 6)
    conn = attacker(host.settings.database_url)
    conn.execute(text("UPDATE audit_events SET after = :a WHERE environment_id = :e AND seq = 4"),
                 {"a": json.dumps({"amount": "9999.00"}), "e": env_id})
    rechain(conn, env_id, 4, GUESSES[guess])
    conn.commit()
    conn.close()
    result = check(host)
    assert not result.ok
    assert result.first_broken.seq == 4
    assert result.first_broken.reason == WRONG_KEY  # every link from the edit on fails, as with a wrong key


def test_an_edit_without_rechaining_is_named_as_a_changed_row(host):
    env_id = write_entries(host, 6)
    conn = attacker(host.settings.database_url)
    conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE environment_id = :e AND seq = 3"),
                 {"e": env_id})
    conn.commit()
    conn.close()
    broken = check(host).first_broken
    assert (broken.seq, broken.reason) == (3, "hash mismatch: the row's content was changed after it was written")


# The upgrade of an existing log: old SHA-256 rows, migration 0011, keyed rows after it.

def migrate(db: Database, direction: str, revision: str, key: bytes | None = None) -> None:
    config = alembic_config(db.url)
    if key:
        config.attributes["audit_key"] = key
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, revision)


def old_log(url: str, key: bytes, legacy_rows: int = 5) -> int:
    """A log written by the previous release (plain SHA-256 links), then migration 0011 with `key`."""
    db = Database(url)
    upgrade(db.engine, audit_key=key)
    migrate(db, "downgrade", "0011_keyed_audit_chain-1")
    with db.engine.begin() as conn:  # raw SQL: the ORM's models are those of the newest schema
        env_id = conn.execute(text("INSERT INTO environments (name, display_name, created_at) "
                                   "VALUES ('default', '', CURRENT_TIMESTAMP) RETURNING id")).scalar_one()
        conn.execute(text("INSERT INTO audit_chain_heads (environment_id, seq, hash) VALUES (:e, 0, :h)"),
                     {"e": env_id, "h": audit.GENESIS})
    prev, rows = audit.GENESIS, []
    for n in range(legacy_rows):
        row = {"environment_id": env_id, "seq": n + 1, "at": dt.datetime(2025, 1, n + 1, 10, tzinfo=dt.UTC),
               "actor_type": "user", "actor": "ada", "action": "invoice.noted", "target_type": "invoice",
               "target_id": str(n), "instance_id": None, "before": None, "after": {"n": n}, "note": None,
               "prev_hash": prev}
        row["hash"] = prev = audit.entry_hash(prev, row)  # as the previous release wrote it
        rows.append(row)
    with db.engine.begin() as conn:
        conn.execute(insert(AuditEvent), rows)
        conn.execute(text("UPDATE audit_chain_heads SET seq = :s, hash = :h WHERE environment_id = :e"),
                     {"s": legacy_rows, "h": prev, "e": env_id})
    assert not databases_has_table(db, "audit_keyed_segments")
    migrate(db, "upgrade", "heads", key)
    db.dispose()
    return env_id


def databases_has_table(db: Database, name: str) -> bool:
    from sqlalchemy import inspect

    return inspect(db.engine).has_table(name)


@pytest.fixture
def upgraded(private_url, tmp_path):
    """An old log of 5 rows upgraded by migration 0011, then 3 keyed rows written by the new release."""
    key = b"k" * 48
    env_id = old_log(private_url, key)
    host = open_host(make_settings(tmp_path, private_url, audit_key=key.decode()))
    write_entries(host, 3)
    yield host, env_id
    host.db.dispose()


def test_an_upgraded_log_verifies_as_an_old_segment_then_a_keyed_one(upgraded):
    host, env_id = upgraded
    result = check(host)
    assert result.ok and result.checked == 8
    assert [c.to_json() for c in result.chains] == [{
        "environment_id": env_id, "legacy_sha256": {"first_seq": 1, "last_seq": 5},
        "keyed_hmac": {"first_seq": 6, "last_seq": 8}}]
    with host.db.unit_of_work() as session:
        start = session.execute(text("SELECT first_seq, legacy_head FROM audit_keyed_segments")).one()
        fifth = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == 5))
    assert tuple(start) == (6, fifth)


def _edit_old_row_and_rechain_old_part(conn, env_id):
    conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2"))
    return rechain(conn, env_id, 2, OLD_WAY, upto=5)


def _and_reseal_without_key(conn, env_id):
    head = _edit_old_row_and_rechain_old_part(conn, env_id)
    conn.execute(text("UPDATE audit_events SET prev_hash = :h WHERE seq = 6"), {"h": head})
    conn.execute(text("UPDATE audit_keyed_segments SET legacy_head = :h"), {"h": head})


def _move_the_keyed_start_past_the_end(conn, env_id):
    conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 7"))
    head = rechain(conn, env_id, 1, OLD_WAY)
    conn.execute(text("UPDATE audit_keyed_segments SET first_seq = 9, legacy_head = :h"), {"h": head})


def _drop_the_segment_and_rechain_everything_old_way(conn, env_id):
    conn.execute(text("UPDATE audit_events SET actor = 'mallory' WHERE seq = 7"))
    rechain(conn, env_id, 1, OLD_WAY)
    conn.execute(text("DELETE FROM audit_keyed_segments"))


@pytest.mark.parametrize(("attack", "seq", "reason"), [
    (_edit_old_row_and_rechain_old_part, 5, "sealed old chain mismatch"),
    (_and_reseal_without_key, 6, "keyed segment seal mismatch"),
    (_move_the_keyed_start_past_the_end, 9, "keyed segment seal mismatch"),
    (_drop_the_segment_and_rechain_everything_old_way, 1, "hash mismatch"),
], ids=["old-row-rechained", "old-row-resealed", "segment-start-moved", "segment-dropped"])
def test_the_old_segment_and_where_the_keyed_one_starts_cannot_be_rewritten(upgraded, attack, seq, reason):
    host, env_id = upgraded
    conn = attacker(host.settings.database_url)
    attack(conn, env_id)
    conn.commit()
    conn.close()
    broken = check(host).first_broken
    assert broken is not None and (broken.seq, broken.reason.split(":")[0]) == (seq, reason)


def test_migration_0011_is_undone_and_redone_and_seals_the_same_old_head(upgraded):
    host, _ = upgraded
    migrate(host.db, "downgrade", "0011_keyed_audit_chain-1")
    assert not databases_has_table(host.db, "audit_keyed_segments")
    migrate(host.db, "upgrade", "heads", host.audit_key)
    with host.db.unit_of_work() as session:
        assert session.execute(text("SELECT first_seq FROM audit_keyed_segments")).scalar() == 9
    # The rows written after the first upgrade are keyed, so the re-sealed old segment (1-8) is not.
    assert not check(host).ok


# Checkpoints

def cli(monkeypatch, host, *args: str, key: str | None = None):
    monkeypatch.setenv("STROOM_DATABASE_URL", host.settings.database_url)
    monkeypatch.setenv("STROOM_INSTANCE_DIR", str(host.settings.instance_dir))
    monkeypatch.setenv("STROOM_SECRET_KEY", "test")
    if key:
        monkeypatch.setenv("STROOM_AUDIT_KEY", key)
    else:
        monkeypatch.delenv("STROOM_AUDIT_KEY", raising=False)
    result = CliRunner().invoke(build(), list(args))
    return result.exit_code, json.loads(result.output) if result.output.startswith("{") else result.output


def test_a_checkpoint_catches_an_edit_before_it_when_the_attacker_truncates_and_rechains(host, tmp_path,
                                                                                          monkeypatch):
    env_id = write_entries(host, 6)
    code, checkpoint = cli(monkeypatch, host, "audit", "checkpoint")
    assert code == 0 and checkpoint["sequence"] == 7 and checkpoint["environment"] == "default"
    saved = tmp_path / "checkpoint.json"
    saved.write_text(json.dumps(checkpoint))
    write_entries(host, 2)
    assert cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(saved))[0] == 0

    conn = attacker(host.settings.database_url)  # cut the log after seq 3: verify alone cannot see that
    conn.execute(text("DELETE FROM audit_events WHERE environment_id = :e AND seq > 3"), {"e": env_id})
    conn.execute(text("UPDATE audit_chain_heads SET seq = 3, hash = (SELECT hash FROM audit_events "
                      "WHERE environment_id = :e AND seq = 3) WHERE environment_id = :e"), {"e": env_id})
    conn.commit()
    conn.close()
    assert cli(monkeypatch, host, "audit", "verify")[0] == 0
    code, report = cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(saved))
    assert code == 1 and report["checkpoint"]["ok"] is False
    assert report["first_broken"]["seq"] == 4 and "rows 4 to 7 were deleted" in report["first_broken"]["reason"]

    conn = attacker(host.settings.database_url)  # and edit seq 2, re-chained the old way up to the cut
    conn.execute(text("UPDATE audit_events SET note = 'nothing to see' WHERE environment_id = :e AND seq = 2"),
                 {"e": env_id})
    rechain(conn, env_id, 2, OLD_WAY)
    conn.commit()
    conn.close()
    code, report = cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(saved))
    assert code == 1 and report["first_broken"]["seq"] == 2


def test_a_log_rewritten_with_the_key_itself_still_differs_from_the_checkpoint(host, tmp_path, monkeypatch):
    env_id = write_entries(host, 6)
    with host.db.unit_of_work() as session:
        checkpoint = checkpoints.take(session, env_id, key=host.audit_key)
    conn = attacker(host.settings.database_url)
    conn.execute(text("UPDATE audit_events SET note = 'rewritten' WHERE environment_id = :e AND seq = 2"),
                 {"e": env_id})
    rechain(conn, env_id, 2, lambda prev, row: audit.entry_hash(prev, row, host.audit_key))
    conn.commit()
    conn.close()
    assert check(host).ok  # whoever holds the key can re-chain; the checkpoint kept elsewhere still knows
    with host.db.unit_of_work() as session:
        result = checkpoints.verify_against(session, checkpoint, key=host.audit_key)
    assert not result.ok and result.to_json()["first_broken"]["seq"] == 7


def test_verify_since_a_checkpoint_walks_only_the_newer_rows_and_still_finds_edits(host, tmp_path, monkeypatch):
    env_id = write_entries(host, 6)
    code, checkpoint = cli(monkeypatch, host, "audit", "checkpoint")
    saved = tmp_path / "checkpoint.json"
    saved.write_text(json.dumps(checkpoint))
    code, report = cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(saved), "--since-checkpoint")
    assert code == 0 and report["checked"] == 0 and report["checkpoint"]["incremental"] is True
    write_entries(host, 3)
    code, report = cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(saved), "--since-checkpoint")
    assert code == 0 and report["checked"] == 3  # seq 8 to 10
    assert report["chains"][0]["keyed_hmac"] == {"first_seq": 8, "last_seq": 10}

    conn = attacker(host.settings.database_url)  # a row after the checkpoint edited: found
    conn.execute(text("UPDATE audit_events SET note = 'late edit' WHERE environment_id = :e AND seq = 9"),
                 {"e": env_id})
    conn.commit()
    conn.close()
    code, report = cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(saved), "--since-checkpoint")
    assert code == 1 and report["first_broken"]["seq"] == 9 and "hash mismatch" in report["first_broken"]["reason"]

    conn = attacker(host.settings.database_url)  # the log up to the checkpoint re-chained with the key: found
    rechain(conn, env_id, 9, lambda prev, row: audit.entry_hash(prev, row, host.audit_key))
    conn.execute(text("UPDATE audit_events SET note = 'rewritten' WHERE environment_id = :e AND seq = 2"),
                 {"e": env_id})
    rechain(conn, env_id, 2, lambda prev, row: audit.entry_hash(prev, row, host.audit_key))
    conn.commit()
    conn.close()
    assert check(host).ok
    code, report = cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(saved), "--since-checkpoint")
    assert code == 1 and report["first_broken"]["seq"] == 7 and "head mismatch" in report["first_broken"]["reason"]
    assert cli(monkeypatch, host, "audit", "verify", "--since-checkpoint")[0] == 2  # needs --checkpoint


def test_an_edited_or_foreign_checkpoint_file_is_refused(host, tmp_path, monkeypatch):
    write_entries(host, 2)
    code, checkpoint = cli(monkeypatch, host, "audit", "checkpoint")
    path = tmp_path / "c.json"
    path.write_text(json.dumps({**checkpoint, "sequence": 1}))
    code, report = cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(path))
    assert code == 1 and "signature mismatch" in report["first_broken"]["reason"]
    path.write_text("{not json")
    code, output = cli(monkeypatch, host, "audit", "verify", "--checkpoint", str(path))
    assert code == 1 and "not JSON" in output


# The key itself

def test_a_missing_key_file_is_created_once_with_0600_and_reused(tmp_path):
    settings = load_settings({"STROOM_INSTANCE_DIR": str(tmp_path / "instance"), "STROOM_SECRET_KEY": "x"})
    first = load_key(settings)
    path = settings.instance_dir / KEY_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(first) >= 32
    assert load_key(settings) == first == path.read_text().strip().encode()
    host = open_host(settings.replace(database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    assert host.audit_key == first
    host.db.dispose()


def test_stroom_audit_key_wins_over_the_file_and_must_be_long(tmp_path):
    env = {"STROOM_INSTANCE_DIR": str(tmp_path / "instance"), "STROOM_SECRET_KEY": "x"}
    assert load_key(load_settings({**env, "STROOM_AUDIT_KEY": "a" * 40})) == b"a" * 40
    assert not (tmp_path / "instance" / KEY_FILE).exists()
    with pytest.raises(SettingsError, match="STROOM_AUDIT_KEY must be at least 32"):
        load_settings({**env, "STROOM_AUDIT_KEY": "short"})
    assert "a" * 40 not in repr(load_settings({**env, "STROOM_AUDIT_KEY": "a" * 40}))


def test_a_wrong_stroom_audit_key_makes_verify_fail_loudly(host, monkeypatch):
    write_entries(host, 4)
    assert cli(monkeypatch, host, "audit", "verify")[0] == 0
    code, report = cli(monkeypatch, host, "audit", "verify", key=OTHER_KEY.decode())
    assert code == 1 and report["ok"] is False
    assert report["first_broken"]["seq"] == 1 and report["first_broken"]["reason"] == WRONG_KEY


def test_a_wrong_key_on_an_upgraded_log_names_the_seal(upgraded):
    host, env_id = upgraded
    with host.db.unit_of_work() as session:
        broken = verify(session, env_id, key=OTHER_KEY).first_broken
    assert broken.seq == 6 and "audit key is not the one" in broken.reason
