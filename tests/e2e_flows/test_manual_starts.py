"""Starting a process by hand is checked against the start data the model declares: a 422 naming
the missing field, and no instance that fails at its first step."""
from __future__ import annotations

from sqlalchemy import func, select

from server.instances.models import ProcessInstance
from tests.e2e_flows.site import Site


def instance_count(site: Site) -> int:
    with site.host.db.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance)) or 0


def start(site: Site, body: dict) -> tuple[int, dict]:
    response = site.client.post("/api/v1/process-instances", headers=site.auth("admin"), json=body)
    return response.status_code, response.get_json()


def test_a_purchase_invoice_started_without_its_invoice_is_refused_naming_the_field(site: Site) -> None:
    before = instance_count(site)
    status, body = start(site, {"model": "purchase_invoice"})
    assert status == 422, body
    assert body["error"]["code"] == "invalid_start_data" and "invoice_id" in body["error"]["message"]
    assert {"field": "invoice_id", "problem": "required", "type": "number"} in body["error"]["details"]
    status, body = start(site, {"model": "purchase_invoice", "data": {"invoice_id": "seven"}})
    assert status == 422 and body["error"]["details"][0]["problem"] == "must be a number"
    assert instance_count(site) == before  # nothing started, nothing failed


def test_a_trusted_sender_request_without_an_address_is_refused(site: Site) -> None:
    for data in ({}, {"email": ""}, {"email": "not an address"}):
        status, body = start(site, {"model": "trusted_sender", "data": data})
        assert status == 422, body
        assert body["error"]["details"][0]["field"] == "email"
    status, body = start(site, {"model": "trusted_sender", "data": {"email": "someone@example.com"}})
    assert status == 403 and body["error"]["code"] == "system_start_only"  # well-formed, yet the server's own


def test_a_model_that_declares_nothing_starts_as_before(site: Site) -> None:
    status, body = start(site, {"model": "expense_declaration", "data": {}})
    assert status == 201 and body["model"] == "expense_declaration"
