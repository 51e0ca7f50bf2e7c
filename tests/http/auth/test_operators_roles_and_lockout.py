"""Environments are listed and created by operators only; only known roles are given; a locked account
is answered exactly like an unknown login (and stays locked)."""
from __future__ import annotations

import datetime as dt
import json
import statistics
import time

from click.testing import CliRunner, Result
from sqlalchemy import select, update

from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.auth.models import Environment, RoleMembership, User
from server.cli import build

PASSWORD = "correct horse battery"


def stroom(api, *args: str) -> Result:
    settings = api.world.host.settings
    env = {"STROOM_DATABASE_URL": settings.database_url, "STROOM_INSTANCE_DIR": str(settings.instance_dir),
           "STROOM_SECRET_KEY": "cli-test", "STROOM_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(build(), list(args), env=env, catch_exceptions=False)


def environments(api) -> list[str]:
    with api.world.host.db.unit_of_work() as session:
        return list(session.scalars(select(Environment.name).order_by(Environment.name)))


def add_user(api, login: str, roles: tuple[str, ...] = ("user",)) -> User:
    with api.world.host.db.unit_of_work() as session:
        return auth.create_user(session, api.world.env_id, login, actor=Actor.system(api.world.env_id),
                                password=PASSWORD, roles=roles)


def bearer(api, login: str) -> dict[str, str]:
    with api.world.host.db.unit_of_work() as session:
        user = session.scalars(select(User).where(User.login == login)).one()
        plain = tokens.create_token(session, user, actor=Actor.system(user.environment_id))[1]
        return {"Authorization": f"Bearer {plain}"}


def test_an_environment_admin_neither_lists_nor_creates_environments(api):
    assert api.get("root", "/api/v1/environments").status_code == 403
    refused = api.post("root", "/api/v1/environments", {"name": "evil"})
    assert refused.status_code == 403 and refused.get_json()["error"]["details"][0]["permission"] == \
        "environments.manage"
    assert environments(api) == ["acme", "partner", "stranger"]
    assert api.get("root", "/api/v1/environment").get_json()["name"] == "acme"  # their own, as before


def test_an_operator_granted_on_the_machine_lists_and_creates_environments(api):
    add_user(api, "opal", roles=("user",))
    granted = stroom(api, "operators", "grant", "opal", "--environment", "acme")
    assert granted.exit_code == 0, granted.output
    assert json.loads(granted.stdout) == {"login": "opal", "environment": "acme", "operator": True}
    listed = stroom(api, "operators", "list")
    assert [json.loads(line) for line in listed.stdout.splitlines()] == [
        {"login": "opal", "environment": "acme", "active": True}]
    as_opal = bearer(api, "opal")
    answer = api.client.get("/api/v1/environments", headers=as_opal)
    assert answer.status_code == 200
    assert [(e["name"], e["users"]) for e in answer.get_json()["environments"]] == [
        ("acme", 10), ("partner", 1), ("stranger", 2)]
    created = api.client.post("/api/v1/environments", json={"name": "newco", "display_name": "New Co"},
                              headers=as_opal)
    assert created.status_code == 201 and created.get_json()["display_name"] == "New Co"
    assert api.client.post("/api/v1/environments", json={"name": "newco"}, headers=as_opal).status_code == 409
    for bad in ("", "with space", "../x", "x" * 101, 5):
        answer = api.client.post("/api/v1/environments", json={"name": bad}, headers=as_opal)
        assert answer.status_code == 422, bad
    assert environments(api) == ["acme", "newco", "partner", "stranger"]
    with api.world.host.db.unit_of_work() as session:
        entry = session.scalars(select(AuditEvent).where(AuditEvent.action == "environment.created").where(
            AuditEvent.target_id == str(created.get_json()["id"]))).one()
        assert entry.actor == "opal" and entry.after["by_environment"] == api.world.env_id
    assert api.client.get("/api/v1/users", headers=as_opal).status_code == 403  # no admin of acme
    revoked = stroom(api, "operators", "revoke", "opal", "--environment", "acme")
    assert revoked.exit_code == 0, revoked.output
    assert api.client.get("/api/v1/environments", headers=as_opal).status_code == 403


def test_a_role_called_operator_made_before_the_flag_grants_nothing(api):
    with api.world.host.db.unit_of_work() as session:
        role = auth.ensure_role(session, api.world.env_id, "operator")
        session.add(RoleMembership(user_id=api.world.actors["ann"].user_id, role_id=role.id))
    assert api.get("ann", "/api/v1/environments").status_code == 403
    assert "operator" not in api.get("ann", "/api/v1/session").get_json()["roles"]


def test_only_known_roles_are_given_through_the_api(api):
    made = api.post("root", "/api/v1/users", {"login": "nina", "roles": ["user", "superuser"]})
    assert made.status_code == 422
    error = made.get_json()["error"]
    assert error["code"] == "unknown_role" and "'superuser'" in error["message"]
    assert error["details"] == [
        {"field": "roles", "role": "superuser", "message": "unknown role 'superuser'"}]
    assert api.get("root", "/api/v1/users/nina").status_code == 404  # nothing was created
    for roles in (["user", "operator"], ["Admin"], ["admin "]):
        patched = api.call("root", "PATCH", "/api/v1/users/ann", {"roles": roles})
        assert patched.status_code == 422 and repr(roles[-1]) in patched.get_json()["error"]["message"], roles
    assert api.get("ann", "/api/v1/session").get_json()["roles"] == ["user"]
    given = api.call("root", "PATCH", "/api/v1/users/ann", {"roles": ["user", "controller"]})
    assert given.status_code == 200
    # controller is a role acme defined; the stranger environment did not
    assert api.call("boss", "PATCH", "/api/v1/users/sam", {"roles": ["controller"]}).status_code == 422


def test_only_known_roles_are_given_on_the_command_line(api):
    refused = stroom(api, "users", "create", "nina", "--environment", "acme", "--role", "superuser")
    assert refused.exit_code == 1 and "unknown role 'superuser'" in refused.stderr
    hint = stroom(api, "users", "create", "nina", "--environment", "acme", "--role", "operator")
    assert hint.exit_code == 1 and "stroom operators grant" in hint.stderr
    assert stroom(api, "roles", "create", "operator", "--environment", "acme").exit_code == 1
    assert stroom(api, "roles", "create", "approver", "--environment", "acme").exit_code == 0
    assert stroom(api, "roles", "create", "approver", "--environment", "acme").exit_code == 1  # exists
    made = stroom(api, "users", "create", "nina", "--environment", "acme", "--role", "approver")
    assert made.exit_code == 0, made.output
    listed = json.loads(stroom(api, "roles", "list", "--environment", "acme").stdout)["roles"]
    assert "approver" in listed and "controller" in listed and "operator" not in listed


def log_in(client, login: str, password: str):
    return client.post("/api/v1/session", json={"environment": "acme", "login": login, "password": password})


def lock(api, login: str) -> None:
    for n in range(5):
        assert log_in(api.client, login, f"guess {n}").status_code == 401


def median_time(client, login: str) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        assert log_in(client, login, "anything").status_code == 401
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_a_locked_account_is_answered_like_an_unknown_login_and_stays_locked(api):
    add_user(api, "lisa")
    lock(api, "lisa")
    unknown = log_in(api.client, "nobody", PASSWORD)
    locked = log_in(api.client, "lisa", PASSWORD)  # the right password, while locked
    wrong = log_in(api.client, "lisa", "wrong")
    assert unknown.status_code == locked.status_code == wrong.status_code == 401
    assert unknown.get_json() == locked.get_json() == wrong.get_json()
    assert unknown.headers.get("Retry-After") == locked.headers.get("Retry-After")
    assert api.client.get("/api/v1/session").status_code == 401
    # Answering a locked account without a password check took ~1 ms against ~50 ms for an unknown
    # login: the time alone told which accounts exist and are locked.
    unknown_time, locked_time = median_time(api.client, "nobody"), median_time(api.client, "lisa")
    assert locked_time > unknown_time / 4, (locked_time, unknown_time)
    with api.world.host.db.unit_of_work() as session:
        reasons = [e.after["reason"] for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "login.failed", AuditEvent.target_id == "lisa")
            .order_by(AuditEvent.seq))]
        assert reasons[-2:] == ["locked", "locked"]  # the audit log still says why
        session.execute(update(User).where(User.login == "lisa").values(
            locked_until=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert log_in(api.client, "lisa", PASSWORD).status_code == 200
