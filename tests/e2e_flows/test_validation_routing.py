"""A validation finding (the `invoice_validation` table) keeps an invoice from auto-approval: the approval
table routes it (by default to creditors) and the approver sees the finding on the task."""
from __future__ import annotations

from tests.e2e_flows.site import INVOICES, Site


def post_xml(site: Site, xml: bytes, name: str) -> dict:
    response = site.client.post("/api/v1/invoices", data=xml, content_type="application/xml",
                                headers={**site.auth("scanner"), "X-Filename": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_invoice_whose_order_number_is_flagged_goes_to_creditors_with_the_finding(site: Site) -> None:
    # The demo's exactly matching invoice, but its order number breaks the "starts with 6" rule.
    xml = (INVOICES / "auto_approve_exact.xml").read_bytes().replace(b"6001001", b"PO-1001")
    body = post_xml(site, xml, "flagged.xml")
    instance_id = body["instance_id"]
    decisions = {e["after"]["decision"]: e["after"] for e in site.history(instance_id)
                 if e["action"] == "engine.decision"}
    assert decisions["invoice_validation"]["outputs"]["validation_reasons"] == [
        "order number does not start with 6"]
    assert decisions["invoice_approval"]["matched_rules"][0]["id"] == "Rule_validation_finding"
    view = site.instance(instance_id)
    assert view["status"] == "running" and "record_approved" not in {
        e["element_id"] for e in view["elements"] if e["state"] == "done"}
    task = site.task("carla", instance_id)
    assert (task["element_id"], task["candidate_groups"]) == ("approve_invoice", ["creditors"])
    shown = site.client.get(f"/api/v1/tasks/{task['id']}", headers=site.auth("carla")).get_json()
    assert shown["data"]["validation_reasons"] == ["order number does not start with 6"]
    assert shown["data"]["reason"] == "validation: order number does not start with 6"
    site.act("carla", task["id"], "approve")
    assert site.client.get(f"/api/v1/invoices/{body['invoice_id']}",
                           headers=site.auth("audrey")).get_json()["status"] == "approved"


def test_an_invoice_without_findings_is_still_approved_automatically(site: Site) -> None:
    body = site.post_invoice("auto_approve_exact.xml")
    assert site.instance(body["instance_id"])["status"] == "completed"
    assert site.tasks("carla", body["instance_id"]) == []
