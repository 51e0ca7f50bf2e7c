"""Four eyes in the purchase-invoice template: whoever uploaded an invoice, or started it by hand from the
inbox, may not approve it, nor be handed its approval; a colleague (here the administrator) may."""
from __future__ import annotations

from tests.e2e_flows.site import INVOICES, Site


def upload(site: Site, login: str, name: str) -> dict:
    response = site.client.post("/api/v1/invoices", data=(INVOICES / name).read_bytes(), headers=site.auth(login),
                                content_type="application/xml")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def refused_by_four_eyes(site: Site, login: str, task_id: int, action: str, body: dict | None = None) -> None:
    answer = site.act(login, task_id, action, body, expect=403)
    assert answer["error"]["code"] == "four_eyes" and login in answer["error"]["message"]


def test_the_uploader_of_an_invoice_may_not_approve_it(site: Site) -> None:
    body = upload(site, "carla", "unknown_bank_account.xml")  # carla is a creditor: the group it goes to
    task = site.task("carla", body["instance_id"])
    assert task["candidate_groups"] == ["creditors"]
    refused_by_four_eyes(site, "carla", task["id"], "claim")
    refused_by_four_eyes(site, "carla", task["id"], "approve", {"comment": "mine, fine"})
    site.act("admin", task["id"], "approve", {"comment": "checked"})
    assert site.instance(body["instance_id"])["status"] == "completed"


def test_whoever_starts_a_waiting_invoice_by_hand_may_not_approve_it_nor_receive_it(site: Site) -> None:
    waiting = site.post_invoice("preferred_bank_differs.xml", sender="Someone <someone@elsewhere.example>")
    assert waiting["status"] == "waiting"
    started = site.client.post(f"/api/v1/documents/{waiting['document_id']}/start", headers=site.auth("carla"),
                               json={})
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance_id"]
    task = site.task("carla", instance_id)
    refused_by_four_eyes(site, "carla", task["id"], "disapprove", {"reason": "no"})
    handed = site.client.post(f"/api/v1/process-instances/{instance_id}/tasks/{task['id']}/reassign",
                              headers=site.auth("admin"), json={"assignee": "carla", "reason": "she knows it"})
    assert handed.status_code == 403 and handed.get_json()["error"]["code"] == "four_eyes"
    site.act("admin", task["id"], "approve", {"comment": "checked"})
    assert site.instance(instance_id)["status"] == "completed"
