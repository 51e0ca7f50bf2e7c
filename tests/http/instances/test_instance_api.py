"""The instance view, its diagram and history, and the interventions over HTTP."""
from __future__ import annotations

from tests.support.admin_scenario import MODEL, token_user
from tests.support.factories import bearer, deploy_files

BASE = "/api/v1/process-instances"


def test_the_instance_view_shows_status_version_element_states_and_masks_only_secrets(purchase, client):
    iid = purchase.start(iban="NL91ABNA0417164300", erp_api_key="k-123",
                         supplier={"name": "Acme", "portal_password": "hunter2", "contact_token": ""})
    response = client.get(f"{BASE}/{iid}", headers=bearer(purchase.tokens["audrey"]))
    assert response.status_code == 200
    view = response.get_json()
    assert (view["status"], view["model"]["key"], view["model"]["version"]) == ("running", "purchase_admin", 1)
    assert view["data"]["iban"] == "NL91ABNA0417164300"
    assert view["data"]["erp_api_key"] == "********"
    assert view["data"]["supplier"] == {"name": "Acme", "portal_password": "********", "contact_token": ""}
    states = {e["element_id"]: e for e in view["elements"]}
    assert {k: v["state"] for k, v in states.items()} == {
        "start": "done", "register": "done", "approve": "active", "approve_timeout": "waiting"}
    assert states["approve"]["name"] == "Approve invoice" and states["approve"]["changed_at"]
    assert [t["element_id"] for t in view["open_tasks"]] == ["approve"]
    assert view["incidents"] == [] and view["interventions"] == []


def test_the_diagram_is_the_bpmn_of_the_version_the_instance_runs_on(purchase, client, tmp_path):
    iid = purchase.start()
    renamed = tmp_path / "purchase_admin.bpmn"
    renamed.write_bytes(MODEL.read_bytes().replace(b'name="Book in ledger"', b'name="Post to ERP"'))
    assert deploy_files(purchase.host, purchase.admin, "purchase_admin", renamed) == 2
    response = client.get(f"{BASE}/{iid}/diagram", headers=bearer(purchase.tokens["carl"]))
    assert response.status_code == 200
    assert response.content_type.startswith("application/xml")
    assert b'name="Book in ledger"' in response.data and b"<bpmndi:BPMNDiagram" in response.data


def test_interventions_over_http_are_listed_on_the_instance_with_who_when_and_why(purchase, client):
    iid = purchase.start()
    admin_headers = bearer(purchase.tokens["ada"])
    refused = client.post(f"{BASE}/{iid}/suspend", json={}, headers=admin_headers)
    assert refused.status_code == 422 and refused.get_json()["error"]["details"] == [{"field": "reason"}]
    suspended = client.post(f"{BASE}/{iid}/suspend", json={"reason": "disputed"}, headers=admin_headers)
    assert suspended.status_code == 200 and suspended.get_json()["status"] == "suspended"
    again = client.post(f"{BASE}/{iid}/suspend", json={"reason": "twice"}, headers=admin_headers)
    assert again.status_code == 409
    client.post(f"{BASE}/{iid}/resume", json={"reason": "settled"}, headers=admin_headers)
    moved = client.post(f"{BASE}/{iid}/move", json={"to": "book", "reason": "approved by phone"},
                        headers=admin_headers)
    assert moved.status_code == 200 and moved.get_json()["status"] == "completed"
    view = moved.get_json()
    assert [(i["action"], i["actor"], i["reason"]) for i in view["interventions"]] == [
        ("suspended", "ada", "disputed"), ("resumed", "ada", "settled"), ("moved", "ada", "approved by phone")]
    assert all(i["at"] for i in view["interventions"])
    assert view["interventions"][2]["before"]["open_steps"] == ["approve"]
    assert view["interventions"][2]["after"]["open_steps"] == ["book"]
    history = client.get(f"{BASE}/{iid}/history", headers=bearer(purchase.tokens["audrey"])).get_json()["items"]
    actions = [h["action"] for h in history]
    assert actions.index("admin.moved") < actions.index("engine.element_completed", actions.index("admin.moved"))
    assert purchase.calls == ["register", "book"]


def test_a_failed_step_is_an_incident_that_an_admin_retries_over_http(purchase, client):
    purchase.book_fails = True
    iid = purchase.start()
    purchase.complete(iid, "approve", approved=True)
    listed = client.get("/api/v1/incidents", headers=bearer(purchase.tokens["audrey"])).get_json()["items"]
    assert [(i["instance_id"], i["element_id"], i["status"], i["retries_left"]) for i in listed] == [
        (iid, "book", "open", 3)]
    assert "ledger unreachable" in listed[0]["error"]
    view = client.get(f"{BASE}/{iid}", headers=bearer(purchase.tokens["ada"])).get_json()
    assert view["status"] == "failed" and view["incidents"][0]["id"] == listed[0]["id"]
    assert {e["element_id"]: e["state"] for e in view["elements"]}["book"] == "failed"
    purchase.book_fails = False
    retried = client.post(f"/api/v1/incidents/{listed[0]['id']}/retry", json={"reason": "ledger back"},
                          headers=bearer(purchase.tokens["ada"]))
    assert retried.status_code == 200 and retried.get_json()["status"] == "resolved"
    assert client.get(f"{BASE}/{iid}", headers=bearer(purchase.tokens["ada"])).get_json()["status"] == "completed"
    assert client.get("/api/v1/incidents", headers=bearer(purchase.tokens["ada"])).get_json()["items"] == []


def test_reassign_and_restart_over_http(purchase, client):
    token_user(purchase.host, "dora", roles=("user",), groups=("managers",))  # a reassign names known groups
    iid = purchase.start()
    headers = bearer(purchase.tokens["ada"])
    task_id = purchase.open_task(iid, "approve").id
    reassigned = client.post(f"{BASE}/{iid}/tasks/{task_id}/reassign",
                             json={"groups": ["managers"], "reason": "carl is away"}, headers=headers)
    assert reassigned.status_code == 200
    assert reassigned.get_json()["open_tasks"][0]["candidate_groups"] == ["managers"]
    client.post(f"{BASE}/{iid}/move", json={"to": "book", "reason": "done by phone"}, headers=headers)
    never_ran = client.post(f"{BASE}/{iid}/restart", json={"element_id": "notify", "reason": "resend"},
                            headers=headers)
    assert never_ran.status_code == 409  # the move skipped notify: there is no run of it to restart
    restarted = client.post(f"{BASE}/{iid}/restart", json={"element_id": "book", "reason": "rebook"},
                            headers=headers)
    assert restarted.status_code == 200 and restarted.get_json()["status"] == "completed"
    assert purchase.calls == ["register", "book", "book"]
    step = client.post(f"{BASE}/{iid}/restart-step", json={"element_id": "notify", "reason": "x"}, headers=headers)
    assert step.status_code == 409  # a completed instance is restarted, not its steps


def test_the_list_filters_by_status_model_and_business_key_and_pages(purchase, client):
    first, second, third = purchase.start(), purchase.start(), purchase.start()
    with purchase.host.db.unit_of_work() as session:
        from server.operations import instances as operations
        operations.terminate(session, purchase.host, actor=purchase.admin, instance_id=second, reason="duplicate")
    headers = bearer(purchase.tokens["audrey"])
    running = client.get(f"{BASE}?status=running&model=purchase_admin", headers=headers).get_json()
    assert [i["id"] for i in running["items"]] == [third, first] and running["next_cursor"] is None
    page = client.get(f"{BASE}?limit=2", headers=headers).get_json()
    assert [i["id"] for i in page["items"]] == [third, second]
    rest = client.get(f"{BASE}?limit=2&cursor={page['next_cursor']}", headers=headers).get_json()
    assert [i["id"] for i in rest["items"]] == [first] and rest["next_cursor"] is None
    assert client.get(f"{BASE}?business_key=INV-1", headers=headers).get_json()["items"][0]["business_key"] == "INV-1"
    assert client.get(f"{BASE}?status=bogus", headers=headers).status_code == 422


def test_instances_of_another_environment_are_not_found(purchase, client):
    _, other = token_user(purchase.host, "olga", roles=("admin",), environment="other")
    iid = purchase.start()
    assert client.get(f"{BASE}/{iid}", headers=bearer(other)).status_code == 404
    assert client.post(f"{BASE}/{iid}/terminate", json={"reason": "x"}, headers=bearer(other)).status_code == 404
