"""Sessions end when they should: logout, a new password, deactivation and a role change end every
session of the user, also a copy of the cookie taken by someone else; other users keep theirs."""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from server.auth import service as auth
from server.auth.actor import Actor

PASSWORD = "correct horse battery"


def add_user(api, login: str, roles: tuple[str, ...] = ("user",)) -> None:
    with api.world.host.db.unit_of_work() as session:
        auth.create_user(session, api.world.env_id, login, actor=Actor.system(api.world.env_id),
                         password=PASSWORD, roles=roles)


def logged_in(api, login: str) -> FlaskClient:
    client = api.client.application.test_client()
    answer = client.post("/api/v1/session",
                         json={"environment": "acme", "login": login, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_json()
    return client


def steal(client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of the session cookie (taken from a proxy log, a shared PC...)."""
    name = client.application.config["SESSION_COOKIE_NAME"]
    thief = client.application.test_client()
    thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def status(client: FlaskClient) -> int:
    return client.get("/api/v1/session").status_code


EVENTS = {
    "logout": lambda api, victim: victim.delete("/api/v1/session"),
    "password change": lambda api, victim: api.call("root", "PATCH", "/api/v1/users/lisa",
                                                    {"password": "a brand new passphrase"}),
    "deactivation": lambda api, victim: api.call("root", "PATCH", "/api/v1/users/lisa", {"active": False}),
    "role change": lambda api, victim: api.call("root", "PATCH", "/api/v1/users/lisa",
                                                {"roles": ["user", "designer"]}),
}


@pytest.mark.parametrize("event", list(EVENTS))
def test_the_event_ends_every_session_of_the_user_and_a_stolen_copy_but_no_one_elses(api, event):
    add_user(api, "lisa")
    add_user(api, "olga")
    victim, elsewhere, colleague = logged_in(api, "lisa"), logged_in(api, "lisa"), logged_in(api, "olga")
    thief = steal(victim)
    assert [status(c) for c in (victim, elsewhere, colleague, thief)] == [200, 200, 200, 200]
    answer = EVENTS[event](api, victim)
    assert answer.status_code in (200, 204), answer.get_json()
    assert status(thief) == 401
    assert thief.get("/api/v1/tasks").status_code == 401
    assert [status(victim), status(elsewhere)] == [401, 401]
    assert status(colleague) == 200


def test_changes_that_are_no_risk_keep_the_sessions(api):
    add_user(api, "lisa")
    victim = logged_in(api, "lisa")
    for change in ({"display_name": "Lisa de Vries"}, {"roles": ["user"]}, {"groups": ["creditors"]}):
        assert api.call("root", "PATCH", "/api/v1/users/lisa", change).status_code == 200
    assert status(victim) == 200


def test_a_reactivated_user_logs_in_again_and_old_cookies_stay_dead(api):
    add_user(api, "lisa")
    victim = logged_in(api, "lisa")
    thief = steal(victim)
    token = api.post("root", "/api/v1/tokens", {"login": "lisa", "name": "erp"}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.client.get("/api/v1/session", headers=bearer).status_code == 200
    assert api.call("root", "PATCH", "/api/v1/users/lisa", {"active": False}).status_code == 200
    assert api.client.get("/api/v1/session", headers=bearer).status_code == 401  # tokens stop too
    refused = api.client.application.test_client().post(
        "/api/v1/session", json={"environment": "acme", "login": "lisa", "password": PASSWORD})
    assert refused.status_code == 401
    assert api.call("root", "PATCH", "/api/v1/users/lisa", {"active": True}).status_code == 200
    assert [status(victim), status(thief)] == [401, 401]
    assert status(logged_in(api, "lisa")) == 200


def test_a_cookie_without_an_epoch_from_before_the_upgrade_is_refused(api):
    """A session of the previous release held only the user id: it cannot be checked, so it ends."""
    add_user(api, "lisa")
    victim = logged_in(api, "lisa")
    app = victim.application
    name = app.config["SESSION_COOKIE_NAME"]
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(victim.get_cookie(name).value)
    old = app.test_client()
    old.set_cookie(name, serializer.dumps({**data, "_user_id": data["_user_id"].partition(":")[0]}))
    assert status(old) == 401
    forged = app.test_client()  # the epoch is inside the signed cookie: it cannot be edited
    forged.set_cookie(name, victim.get_cookie(name).value.replace(".", "x", 1))
    assert status(forged) == 401 and status(victim) == 200
