"""Login: no open redirect, lockout with audit entries; Argon2id hashes; tokens hashed at rest; no
password or token in logs, audit entries or any database column."""
from __future__ import annotations

import datetime as dt
import logging

import pytest
from argon2 import extract_parameters
from sqlalchemy import inspect, select, text, update

from server.audit.models import AuditEvent
from server.auth.models import ApiToken, User
from server.auth.passwords import hash_password, verify_password
from tests.e2e.site import PASSWORD, csrf
from tests.security.conftest import Hostile

EVIL = ("https://evil.example", "//evil.example/x", "/\\evil.example", "https:/evil.example", "\\\\evil.example",
        "http://127.0.0.1.evil.example/", "javascript:alert(1)", " https://evil.example")


@pytest.mark.parametrize("target", EVIL)
def test_login_never_redirects_to_another_site(hostile: Hostile, target):
    client = hostile.site.client()
    page = client.get(f"/login?next={target}")
    response = client.post("/login", data={"login": "carla", "password": PASSWORD, "next": target,
                                           "csrf_token": csrf(page.text)})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil" not in location and "javascript" not in location


def _api_login(client, login: str, password: str):
    return client.post("/api/v1/session", json={"login": login, "password": password})


def test_five_wrong_passwords_lock_the_account_and_every_attempt_is_audited(hostile: Hostile):
    host, client = hostile.site.host, hostile.site.app.test_client()
    for attempt in range(5):
        refused = _api_login(client, "piet", f"guess-{attempt}")
        assert refused.status_code == 401
    locked = _api_login(client, "piet", PASSWORD)  # even the right password, while locked
    unknown = _api_login(client, "nobody-here", "x")
    assert locked.status_code == 401 and locked.get_json() == unknown.get_json()
    page = client.get("/login")
    assert client.post("/login", data={"login": "piet", "password": PASSWORD,
                                       "csrf_token": csrf(page.text)}).status_code == 401
    with host.db.unit_of_work() as session:
        entries = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed",
                                                           AuditEvent.target_id == "piet")).all()
        reasons = [e.after["reason"] for e in entries]
        assert reasons.count("bad_password") == 5 and reasons.count("locked") >= 2
        assert entries[4].after["locked_until"]  # the fifth failure records the lock
        assert all(f"guess-{i}" not in str(e.after) for e in entries for i in range(5))
        session.execute(update(User).where(User.login == "piet").values(
            locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert _api_login(client, "piet", PASSWORD).status_code == 200  # the lock expires


def test_an_unknown_login_is_audited_and_answered_like_a_wrong_password(hostile: Hostile):
    client = hostile.site.app.test_client()
    unknown = _api_login(client, "nobody-here", "x")
    wrong = _api_login(client, "audrey", "x")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json()["error"] == wrong.get_json()["error"]
    with hostile.site.host.db.unit_of_work() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed",
                                                        AuditEvent.target_id == "nobody-here")).first()


def test_passwords_are_stored_as_memory_hard_argon2id_hashes(hostile: Hostile):
    with hostile.site.host.db.unit_of_work() as session:
        stored = session.scalars(select(User.password_hash).where(User.login == "carla")).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    parameters = extract_parameters(stored)
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2  # OWASP's Argon2id minimum
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "x")
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted


def _all_text(host) -> str:
    """Every value of every table, as text: where a leaked secret would show up."""
    chunks = []
    with host.db.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_secrets_never_reach_logs_audit_entries_or_the_database(hostile: Hostile, caplog):
    host, client = hostile.site.host, hostile.site.app.test_client()
    caplog.set_level(logging.DEBUG)
    admin = hostile.site.client("admin")
    headers = {"X-Requested-With": "fetch"}
    new_password = "Sup3r-secret-passw0rd!"
    created = admin.post("/api/v1/users", json={"login": "secretive", "password": new_password}, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert _api_login(client, "secretive", "Wr0ng-passw0rd-guess").status_code == 401
    assert _api_login(client, "secretive", new_password).status_code == 200
    issued = client.post("/api/v1/tokens", json={"name": "ci"}, headers=headers)
    token = issued.get_json()["token"]
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    client.get("/api/v1/tasks?token=" + token)  # even a token misplaced in a URL
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (new_password, "Wr0ng-passw0rd-guess", token):
        assert secret not in logged
        assert secret not in _all_text(host), "a secret is stored in plain text"
    with host.db.unit_of_work() as session:
        stored = session.scalars(select(ApiToken.token_hash).where(ApiToken.name == "ci")).one()
    assert stored != token and len(stored) == 64  # a SHA-256 of the token, never the token


def test_a_revoked_token_stops_working_at_once(hostile: Hostile):
    admin = hostile.site.client("admin")
    issued = admin.post("/api/v1/tokens", json={"name": "short-lived"}, headers={"X-Requested-With": "x"})
    body = issued.get_json()
    bearer = {"Authorization": f"Bearer {body['token']}"}
    client = hostile.site.app.test_client()
    assert client.get("/api/v1/session", headers=bearer).status_code == 200
    assert client.delete(f"/api/v1/tokens/{body['id']}", headers=bearer).status_code == 204
    assert client.get("/api/v1/session", headers=bearer).status_code == 401
