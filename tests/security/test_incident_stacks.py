"""Incident stack traces (server paths, code, library versions) are for admins; others see the message.

The attack: any user, auditor or designer of the environment read the full Python traceback of a
failed step from /api/v1/incidents and the instance view.
"""
from __future__ import annotations

import re

import pytest

from server.app import create_app
from server.auth import service as auth
from server.auth.actor import Actor
from tests.support.admin_scenario import open_purchase
from tests.support.factories import bearer

BASE = "/api/v1/process-instances"


@pytest.fixture
def failed(settings):
    """The purchase scenario with one instance whose `book` step failed (an open incident)."""
    for purchase in open_purchase(settings):
        purchase.book_fails = True
        iid = purchase.start()
        purchase.complete(iid, "approve", approved=True)
        yield purchase, iid


def _everything(client, headers, iid):
    listed = client.get("/api/v1/incidents", headers=headers).get_json()["items"]
    one = client.get(f"/api/v1/incidents/{listed[0]['id']}", headers=headers).get_json()
    view = client.get(f"{BASE}/{iid}", headers=headers).get_json()["incidents"]
    return [listed[0], one, view[0]]


def test_only_admins_get_the_stack_trace_over_the_api(failed):
    purchase, iid = failed
    client = create_app(host=purchase.host).test_client()
    for who in ("carl", "audrey"):
        for incident in _everything(client, bearer(purchase.tokens[who]), iid):
            assert incident["stack"] is None and "ledger unreachable" in incident["error"]
            assert "Traceback" not in str(incident) and ".py" not in str(incident)
    for incident in _everything(client, bearer(purchase.tokens["ada"]), iid):
        assert "ConnectionError" in incident["stack"] and ".py" in incident["stack"]


def _login(client, login: str) -> None:
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    answer = client.post("/login", data={"login": login, "password": "pw-" + login + "-long-enough",
                                         "environment": "default", "csrf_token": token})
    assert answer.status_code == 302, answer.text


def test_the_instance_page_shows_the_trace_to_admins_only(failed):
    purchase, iid = failed
    with purchase.host.db.unit_of_work() as session:
        env_id = purchase.admin.environment_id
        for login, roles in (("ida", ("admin",)), ("uma", ("user",))):
            auth.create_user(session, env_id, login, actor=Actor.system(env_id), roles=roles,
                             password="pw-" + login + "-long-enough")
    app = create_app(host=purchase.host)
    pages = {}
    for login in ("ida", "uma"):
        client = app.test_client()
        _login(client, login)
        pages[login] = client.get(f"/instances/{iid}").text
    assert "ledger unreachable" in pages["uma"] and "Traceback" not in pages["uma"]
    assert 'data-testid="incident-stack"' in pages["ida"] and "ConnectionError" in pages["ida"]
