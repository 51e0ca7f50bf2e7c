"""Changing a setting: the API, the admin page and `stroom settings set` call one verb
(sandbox.policy.change_settings), so each change lands, is audited and is answered the same way."""
from __future__ import annotations

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import Environment
from tests.http.operations.conftest import Edges


def state(edges: Edges) -> tuple[bool, list[tuple[str, dict, dict]]]:
    """python_scripts of the default environment and its audited changes, oldest first."""
    with edges.site.host.db.unit_of_work() as session:
        env = session.scalars(select(Environment).where(Environment.name == "default")).one()
        changes = [(e.target_type, e.before, e.after) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "environment.settings_changed",
                                     AuditEvent.target_id == str(env.id)).order_by(AuditEvent.id))]
        return bool(env.python_scripts), changes


def test_a_setting_changed_through_every_edge_is_changed_and_audited_alike(edges: Edges) -> None:
    client, token = edges.browser("admin")
    api = client.put("/api/v1/environment/settings", json={"python_scripts": True}, headers={"X-CSRF-Token": token})
    assert api.status_code == 200 and api.get_json() == {"environment": "default", "python_scripts": True}
    assert state(edges) == (True, [("environment", {"python_scripts": False}, {"python_scripts": True})])
    page = client.post("/admin/settings", data={"csrf_token": token})  # the unticked box: off
    assert page.status_code == 302
    assert state(edges)[0] is False and state(edges)[1][-1][1:] == ({"python_scripts": True}, {"python_scripts": False})
    code, cli = edges.stroom("settings", "set", "python_scripts", "on")
    assert (code, cli) == (0, [api.get_json()])
    assert state(edges) == (True, [
        ("environment", {"python_scripts": False}, {"python_scripts": True}),
        ("environment", {"python_scripts": True}, {"python_scripts": False}),
        ("environment", {"python_scripts": False}, {"python_scripts": True})])


def test_a_setting_left_as_it_is_writes_no_audit_entry_through_any_edge(edges: Edges) -> None:
    client, token = edges.browser("admin")
    client.put("/api/v1/environment/settings", json={"python_scripts": False}, headers={"X-CSRF-Token": token})
    client.post("/admin/settings", data={"csrf_token": token})
    edges.stroom("settings", "set", "python_scripts", "off")
    assert state(edges) == (False, [])


def test_only_admins_change_settings_through_the_api_and_the_page(edges: Edges) -> None:
    client, token = edges.browser("audrey")
    assert client.put("/api/v1/environment/settings", json={"python_scripts": True},
                      headers={"X-CSRF-Token": token}).status_code == 403
    refused = client.post("/admin/settings", data={"csrf_token": token, "python_scripts": "on"})
    assert refused.status_code in (302, 403)
    assert state(edges) == (False, [])
