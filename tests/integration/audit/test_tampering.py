"""Editing, deleting, inserting or reordering audit rows is caught by verify; PostgreSQL refuses the app."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import DBAPIError

from server.audit import details, events
from server.audit import service as audit
from server.audit.models import AuditChainHead, AuditEvent
from server.audit.verify import verify
from server.auth import service as auth
from server.auth.actor import Actor
from server.cli import build
from server.db import utcnow
from server.host import open_host
from tests.conftest import make_settings
from tests.support import databases


def write_entries(host, count: int = 6, environment: str = "default") -> int:
    """An environment with `count` entries after its creation entry; returns its id."""
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
    actor = Actor.system(env.id, "clerk")
    for n in range(count):
        with host.db.unit_of_work() as session:
            audit.record(session, actor=actor, action="invoice.noted", target_type="invoice", target_id=n,
                         before={"amount": "10.00"}, after={"amount": f"{n}.50", "tags": ["a", n]}, note=f"#{n}")
    return env.id


def check(host, environment_id=None):
    with host.db.unit_of_work() as session:
        return verify(session, environment_id, key=host.audit_key)


def tamper(url: str, *statements: str) -> None:
    """Change rows as someone with direct database access would: around the append-only triggers."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for table in ("audit_events", "audit_details"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        for statement in statements:
            conn.execute(text(statement))
    engine.dispose()


def test_an_intact_chain_verifies_with_every_row_checked(host):
    env_id = write_entries(host, 6)
    write_entries(host, 3, environment="other")
    result = check(host)
    assert (result.ok, result.checked, result.first_broken) == (True, 7 + 4, None)
    assert check(host, env_id).checked == 7


def test_the_named_events_other_areas_write_are_chained_too(host):
    env_id = write_entries(host, 0)
    actor = Actor.system(env_id, "ada")
    with host.db.unit_of_work() as session:
        events.login(session, actor, remote_addr="10.0.0.1")
        events.login_failed(session, env_id, "mallory", reason="wrong password")
        events.email_sent(session, actor, to=["a@example.com"], subject="Reminder", template="reminder")
        events.decision(session, actor, decision_key="approval", inputs={"amount": 10}, outputs={"route": "x"},
                        trace={"matched": [1]})
        events.masterdata_changed(session, actor, kind="supplier", key="NL123", before=None, after={"name": "A"})
    with host.db.unit_of_work() as session:
        rows = session.execute(select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.actor)
                               .order_by(AuditEvent.seq)).all()
    assert [tuple(r) for r in rows[1:]] == [
        ("auth.login", "system", "ada"), ("auth.login_failed", "anonymous", "mallory"),
        ("mail.sent", "system", "ada"), ("decision.evaluated", "system", "ada"),
        ("masterdata.changed", "system", "ada")]
    assert check(host).ok


@pytest.mark.parametrize(("statements", "seq", "reason"), [
    (["UPDATE audit_events SET after = '{\"amount\": \"9999.00\"}' WHERE seq = 4"], 4, "hash mismatch"),
    (["UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2"], 2, "hash mismatch"),
    (["DELETE FROM audit_events WHERE seq = 3"], 4, "seq gap"),
    (["DELETE FROM audit_events WHERE seq = 7"], 6, "head mismatch"),
    (["UPDATE audit_events SET seq = -1 WHERE seq = 3", "UPDATE audit_events SET seq = 3 WHERE seq = 4",
      "UPDATE audit_events SET seq = 4 WHERE seq = -1"], 3, "prev_hash mismatch"),
], ids=["edit-content", "edit-actor", "delete-middle", "delete-last", "reorder"])
def test_tampering_on_sqlite_is_detected_at_the_first_broken_row(sqlite_url, tmp_path, statements, seq, reason):
    host = open_host(make_settings(tmp_path, sqlite_url))
    write_entries(host, 6)
    assert check(host).ok
    tamper(sqlite_url, *statements)
    result = check(host)
    assert not result.ok
    assert (result.first_broken.seq, result.first_broken.reason.split(":")[0]) == (seq, reason)
    host.db.dispose()


def test_a_row_forged_at_the_end_with_a_valid_link_is_caught_by_the_head(sqlite_url, tmp_path):
    host = open_host(make_settings(tmp_path, sqlite_url))
    env_id = write_entries(host, 2)
    with host.db.unit_of_work() as session:
        head = session.get(AuditChainHead, env_id)
        row = {"environment_id": env_id, "seq": head.seq + 1, "at": utcnow(), "actor_type": "user", "actor": "x",
               "action": "payment.approved", "target_type": "invoice", "target_id": "1", "instance_id": None,
               "before": None, "after": None, "note": None, "prev_hash": head.hash}
    row["hash"] = audit.entry_hash(row["prev_hash"], row, host.audit_key)
    forger = create_engine(sqlite_url)  # a plain connection: no audit hook moves the head along
    with forger.begin() as conn:
        conn.execute(insert(AuditEvent), [row])
    forger.dispose()
    result = check(host)
    assert not result.ok and result.first_broken.reason.startswith("head mismatch")
    host.db.dispose()


def test_the_app_cannot_update_or_delete_audit_rows_on_sqlite_either(host):
    write_entries(host, 1)
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), host.db.unit_of_work() as session:
            session.execute(text(statement))
    if host.db.is_postgres:
        with pytest.raises(DBAPIError, match="append-only"), host.db.unit_of_work() as session:
            session.execute(text("TRUNCATE audit_events CASCADE"))
    assert check(host).checked == 2


@pytest.fixture
def pg_host(request, tmp_path):
    url = request.getfixturevalue("postgres_url")
    databases.truncate_all(url)
    host = open_host(make_settings(tmp_path, url))
    yield host, url
    host.db.dispose()


def test_on_postgresql_only_a_superuser_with_triggers_off_can_edit_and_verify_catches_it(pg_host):
    host, url = pg_host
    write_entries(host, 4)
    with pytest.raises(DBAPIError, match="append-only"), host.db.unit_of_work() as session:
        session.execute(text("UPDATE audit_events SET note = 'rewritten' WHERE seq = 2"))
    assert check(host).ok
    tamper(url, "UPDATE audit_events SET note = 'rewritten' WHERE seq = 2")
    result = check(host)
    assert (result.ok, result.first_broken.seq) == (False, 2)


def test_stroom_audit_verify_exits_1_and_names_the_broken_link(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("STROOM_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("STROOM_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("STROOM_SECRET_KEY", "test")
    host = open_host(make_settings(Path(tmp_path), sqlite_url))
    write_entries(host, 3)
    host.db.dispose()
    runner = CliRunner()
    intact = runner.invoke(build(), ["audit", "verify", "--environment", "default"])
    assert intact.exit_code == 0, intact.output
    assert json.loads(intact.output) == {"ok": True, "checked": 4, "first_broken": None, "chains": [
        {"environment_id": 1, "legacy_sha256": None, "keyed_hmac": {"first_seq": 1, "last_seq": 4}}]}
    tamper(sqlite_url, "DELETE FROM audit_events WHERE seq = 2")
    broken = runner.invoke(build(), ["audit", "verify"])
    assert broken.exit_code == 1
    report = json.loads(broken.output)
    assert report["ok"] is False and report["first_broken"]["seq"] == 3
    assert "seq gap" in report["first_broken"]["reason"]


@pytest.mark.parametrize(("statements", "reason"), [
    (["UPDATE audit_details SET detail = replace(detail, 'NL91', 'NL44') WHERE position = 1"], "detail mismatch"),
    (["DELETE FROM audit_details WHERE position = 2"], "detail mismatch"),
    (["UPDATE audit_details SET position = 9 WHERE position = 0"], "detail mismatch"),
    ([("INSERT INTO audit_details (environment_id, batch, position, target_type, target_id, detail) "
       "SELECT environment_id, 'forged', 0, target_type, target_id, detail FROM audit_details WHERE position = 0")],
     "detail mismatch"),
], ids=["edit-record", "delete-record", "move-record", "forge-batch"])
def test_a_batch_entry_covers_its_records_and_a_changed_record_breaks_verify(database_url, tmp_path, statements,
                                                                           reason):
    """A master-data chunk is one chained entry with a digest of its records (detail rows): changing,
    deleting or moving a record, or adding rows no entry names, is caught at that entry."""
    host = open_host(make_settings(tmp_path, database_url))
    env_id = write_entries(host, 1)
    with host.db.unit_of_work() as session:
        written = details.record_batch(session, actor=Actor.system(env_id, "erp"), action="masterdata.changed",
                                       target_type="masterdata.bank_accounts", note="import via cli",
                                       changes=[(f"S{n}", None, {"preferred_iban": f"NL91ABNA000000000{n}"})
                                                for n in range(3)])
    assert written == 3 and check(host).ok
    with host.db.unit_of_work() as session:
        assert [h["after"] for h in details.history(session, env_id, "masterdata.bank_accounts", "S1")] == [
            {"preferred_iban": "NL91ABNA0000000001"}]
    tamper(database_url, *statements)
    result = check(host)
    assert not result.ok and result.first_broken.reason.startswith(reason), result
    host.db.dispose()
