"""Every endpoint of tasks and identity x every role -> the expected status.

Ids that do not exist (and bodies that are not valid) show whether a caller got past the permission
check (404 / 422) or was stopped at it (401 / 403) without changing anything.
"""
from __future__ import annotations

from server.auth.models import User

ROLES = {"designer": "desi", "user": "ann", "admin": "root", "auditor": "audrey", "anonymous": None}
ALL = ("designer", "user", "admin", "auditor")
ACTORS = ("user", "admin")
MANAGERS = ("admin",)
READERS = ("admin", "auditor")
TOKEN_OWNERS = ("designer", "user", "admin")
NO_ROLE: tuple[str, ...] = ()
TASK_ACTIONS = ("claim", "unclaim", "complete", "approve", "disapprove", "comment", "delegate")

# (method, path, body, roles that pass the gate, status they then get)
ENDPOINTS = [
    ("GET", "/api/v1/tasks", None, ALL, 200),
    ("GET", "/api/v1/tasks/999999", None, ALL, 404),
    *[("POST", f"/api/v1/tasks/999999/{action}", {}, ACTORS, 404) for action in TASK_ACTIONS],
    ("GET", "/api/v1/session", None, ALL, 200),
    ("GET", "/api/v1/environment", None, ALL, 200),
    ("GET", "/api/v1/environment/settings", None, READERS, 200),
    ("PUT", "/api/v1/environment/settings", {"python_scripts": "maybe"}, MANAGERS, 422),
    ("GET", "/api/v1/users", None, READERS, 200),
    ("POST", "/api/v1/users", {}, MANAGERS, 422),
    ("GET", "/api/v1/users/nobody", None, READERS, 404),
    ("PATCH", "/api/v1/users/nobody", {}, MANAGERS, 404),
    ("GET", "/api/v1/groups", None, READERS, 200),
    ("POST", "/api/v1/groups", {}, MANAGERS, 422),
    ("POST", "/api/v1/groups/nothing/members", {"login": "ann"}, MANAGERS, 404),
    ("DELETE", "/api/v1/groups/nothing/members/ann", None, MANAGERS, 404),
    ("GET", "/api/v1/tokens", None, TOKEN_OWNERS, 200),
    ("POST", "/api/v1/tokens", {"name": 5}, TOKEN_OWNERS, 422),
    ("DELETE", "/api/v1/tokens/999999", None, TOKEN_OWNERS, 404),
    ("GET", "/api/v1/partnerships", None, READERS, 200),
    ("POST", "/api/v1/partnerships", {}, MANAGERS, 422),
    ("POST", "/api/v1/partnerships/999999/accept", None, MANAGERS, 404),
    ("DELETE", "/api/v1/partnerships/999999", None, MANAGERS, 404),
    ("GET", "/api/v1/environments", None, NO_ROLE, 200),  # operators only (a flag, not a role)
    ("POST", "/api/v1/environments", {}, NO_ROLE, 422),
]
STATE_CHANGING = ("POST", "PATCH", "PUT", "DELETE")


def expected(role: str, allowed: tuple[str, ...], status: int) -> int:
    if role == "anonymous":
        return 401
    return status if role in allowed else 403


def test_every_endpoint_for_every_role(api):
    wrong = []
    for method, path, body, allowed, status in ENDPOINTS:
        for role, login in ROLES.items():
            got = api.call(login, method, path, body).status_code
            if got != expected(role, allowed, status):
                wrong.append((method, path, role, got, expected(role, allowed, status)))
    assert wrong == []


def test_an_auditor_is_refused_every_state_changing_endpoint(api):
    changing = [(m, p, b) for m, p, b, _, _ in ENDPOINTS if m in STATE_CHANGING]
    assert len(changing) >= 17
    assert {api.call("audrey", m, p, b).status_code for m, p, b in changing} == {403}


def test_login_and_logout_are_open_to_everyone(api):
    assert api.call(None, "POST", "/api/v1/session", {}).status_code == 422
    assert api.call(None, "DELETE", "/api/v1/session").status_code == 204


def set_operator(api, login: str, value: bool) -> None:
    with api.world.host.db.unit_of_work() as session:
        session.get(User, api.world.actors[login].user_id).operator = value


def test_the_operator_flag_opens_the_environments_endpoints_and_nothing_else(api):
    """ann with the operator flag: the environments endpoints pass the gate, every other answer is ann's."""
    before = {(m, p): api.call("ann", m, p, b).status_code for m, p, b, _, _ in ENDPOINTS}
    set_operator(api, "ann", True)
    after = {(m, p): api.call("ann", m, p, b).status_code for m, p, b, _, _ in ENDPOINTS}
    gated = {("GET", "/api/v1/environments"): 200, ("POST", "/api/v1/environments"): 422}
    assert {k: after[k] for k in gated} == gated and {k: before[k] for k in gated} == {k: 403 for k in gated}
    assert {k: v for k, v in after.items() if k not in gated} == \
        {k: v for k, v in before.items() if k not in gated}
