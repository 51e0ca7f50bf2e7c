"""JSON login with lockout and audit, the CSRF header for cookie callers, users, groups and tokens."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth import login as logins
from server.auth import service as auth
from server.auth.actor import Actor

PASSWORD = "correct horse battery"


def with_password(api, login="lisa"):
    with api.world.host.db.unit_of_work() as session:
        auth.create_user(session, api.world.env_id, login, actor=Actor.system(api.world.env_id),
                         password=PASSWORD, groups=("creditors",))


def log_in(api, password=PASSWORD, login="lisa"):
    return api.client.post("/api/v1/session", json={"environment": "acme", "login": login, "password": password})


def audit_actions(api, target):
    with api.world.host.db.unit_of_work() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == target)
                                    .where(AuditEvent.action.like("login.%")).order_by(AuditEvent.seq)))


def test_a_script_logs_in_with_json_and_changes_state_only_with_the_custom_header(api):
    with_password(api)
    answer = log_in(api)
    assert answer.status_code == 200 and answer.get_json()["user"]["groups"] == ["creditors"]
    assert api.client.get("/api/v1/session").get_json()["user"]["login"] == "lisa"
    instance = api.world.start("routed", {"route_group": "creditors"})
    (task,) = api.world.tasks(instance)
    assert api.client.get("/api/v1/tasks").get_json()["total"] == 1
    refused = api.client.post(f"/api/v1/tasks/{task.id}/claim")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "csrf_required"
    claimed = api.client.post(f"/api/v1/tasks/{task.id}/claim", headers={"X-Requested-With": "XMLHttpRequest"})
    assert claimed.status_code == 200 and claimed.get_json()["assignee"] == "lisa"
    forged = api.client.post(f"/api/v1/tasks/{task.id}/unclaim", headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403 and forged.get_json()["error"]["code"] == "csrf_invalid"
    assert api.client.delete("/api/v1/session").status_code == 204
    assert api.client.get("/api/v1/tasks").status_code == 401


def test_five_failed_logins_lock_the_account_for_fifteen_minutes_and_are_audited(api):
    with_password(api)
    for _ in range(4):
        assert log_in(api, "wrong").get_json()["error"]["code"] == "invalid_credentials"
    locked = log_in(api, "wrong")
    assert locked.status_code == 401 and locked.get_json()["error"]["code"] == "invalid_credentials"
    assert log_in(api).status_code == 401  # even with the right password (answered like an unknown login)
    assert audit_actions(api, "lisa") == ["login.failed"] * 6
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    with api.world.host.db.unit_of_work() as session:
        assert logins.attempt(session, environment="acme", login="lisa", password=PASSWORD, now=later).user
    assert audit_actions(api, "lisa")[-1] == "login.succeeded"


def test_an_unknown_login_gets_the_same_answer_as_a_wrong_password(api):
    with_password(api)
    unknown, wrong = log_in(api, login="nobody"), log_in(api, "wrong")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()


def test_an_admin_manages_users_groups_and_tokens(api):
    created = api.post("root", "/api/v1/users", {"login": "nina", "email": "nina@acme.test", "language": "nl",
                                                  "roles": ["user"], "groups": ["purchasing"]})
    assert created.status_code == 201 and created.get_json()["groups"] == ["purchasing"]
    assert api.post("root", "/api/v1/users", {"login": "nina"}).status_code == 409
    short = api.post("root", "/api/v1/users", {"login": "nora", "password": "123456789"})
    assert short.status_code == 422 and short.get_json()["error"]["code"] == "weak_password"
    assert api.post("root", "/api/v1/groups", {"name": "board"}).status_code == 201
    assert api.post("root", "/api/v1/groups/board/members", {"login": "nina"}).status_code == 200
    groups = {g["name"]: g["members"] for g in api.get("root", "/api/v1/groups").get_json()["groups"]}
    assert groups["board"] == ["nina"]
    patched = api.call("root", "PATCH", "/api/v1/users/nina", {"display_name": "Nina V", "password": "short"})
    assert patched.status_code == 422 and patched.get_json()["error"]["details"][0]["field"] == "password"
    token = api.post("root", "/api/v1/tokens", {"login": "nina", "name": "erp"}).get_json()
    as_nina = {"Authorization": f"Bearer {token['token']}"}
    assert api.client.get("/api/v1/session", headers=as_nina).get_json()["groups"] == ["board", "purchasing"]
    assert api.call("root", "DELETE", f"/api/v1/tokens/{token['id']}").status_code == 204
    assert api.client.get("/api/v1/session", headers=as_nina).status_code == 401


def test_a_user_sees_and_revokes_only_their_own_tokens(api):
    mine = api.post("ann", "/api/v1/tokens", {"name": "laptop"}).get_json()
    listed = api.get("ann", "/api/v1/tokens").get_json()["tokens"]
    assert {t["login"] for t in listed} == {"ann"} and "token" not in listed[0]
    bobs = [t["id"] for t in api.get("root", "/api/v1/tokens").get_json()["tokens"] if t["login"] == "bob"]
    assert api.call("ann", "DELETE", f"/api/v1/tokens/{bobs[0]}").status_code == 404
    assert api.post("ann", "/api/v1/tokens", {"login": "bob"}).status_code == 403
    assert api.call("ann", "DELETE", f"/api/v1/tokens/{mine['id']}").status_code == 204


def test_partnerships_are_requested_by_one_admin_and_accepted_by_the_other(api):
    asked = api.post("root", "/api/v1/partnerships", {"partner": "stranger"})
    assert asked.status_code == 201 and asked.get_json()["status"] == "pending"
    instance = api.world.start("routed", {"route_group": "creditors"})
    (task,) = api.world.tasks(instance)
    body = {"to": "sam", "environment": "stranger"}
    assert api.post("ann", f"/api/v1/tasks/{task.id}/delegate", body).status_code == 403  # still pending
    assert api.post("root", f"/api/v1/partnerships/{asked.get_json()['id']}/accept").status_code == 404
    accepted = api.post("boss", f"/api/v1/partnerships/{asked.get_json()['id']}/accept")
    assert accepted.status_code == 200 and accepted.get_json()["partner"] == "acme"
    assert api.get("ann", "/api/v1/environment").get_json()["partners"] == ["partner", "stranger"]
    assert api.post("ann", f"/api/v1/tasks/{task.id}/delegate", body).status_code == 200
    assert api.task_ids("sam") == [task.id]
