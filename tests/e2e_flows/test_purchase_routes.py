"""The purchase template's other routes, chosen by a designer's own approval table: a user, a role,
several people who all must approve, or several of whom one is enough."""
from __future__ import annotations

import pytest

from tests.e2e_flows.site import Site
from tests.support.paths import REPO

ROUTES = REPO / "tests" / "data" / "templates" / "invoice_approval_routes.dmn"


@pytest.fixture
def routed(site: Site) -> Site:
    """The shipped purchase model redeployed by the designer with a table that routes on the invoice number."""
    files = {"bpmn": {"purchase_invoice.bpmn": (REPO / "bpmn" / "purchase_invoice.bpmn").read_text()},
             "dmn": {"invoice_approval.dmn": ROUTES.read_text(),
                     "invoice_validation.dmn": (REPO / "dmn" / "invoice_validation.dmn").read_text()},
             "forms": {p.name: p.read_text() for p in (REPO / "bpmn" / "forms").glob("*.json")}}
    response = site.client.post("/api/v1/models/purchase_invoice/deploy", headers=site.auth("designer"), json=files)
    assert response.status_code == 201, response.get_json()
    return site


def status(site: Site, body: dict) -> str:
    return site.client.get(f"/api/v1/invoices/{body['invoice_id']}", headers=site.auth("audrey")).get_json()["status"]


def test_several_people_must_all_approve(routed: Site) -> None:
    body = routed.post_invoice("auto_approve_exact.xml")  # routed to "all: carla, piet"
    carla, piet = routed.task("carla", body["instance_id"]), routed.task("piet", body["instance_id"])
    assert (carla["assignee"], piet["assignee"]) == ("carla", "piet")
    assert carla["element_id"] == piet["element_id"] == "approve_several"
    routed.act("carla", carla["id"], "approve")
    assert status(routed, body) == "received"  # one approval is not enough
    routed.act("piet", piet["id"], "approve")
    assert status(routed, body) == "approved"
    assert routed.instance(body["instance_id"])["status"] == "completed"


def test_when_all_must_approve_one_disapproval_decides(routed: Site) -> None:
    body = routed.post_invoice("auto_approve_exact.xml")
    carla = routed.task("carla", body["instance_id"])
    routed.act("carla", carla["id"], "disapprove", {"reason": "not ours"})
    assert status(routed, body) == "disapproved"
    assert routed.tasks("piet", body["instance_id"]) == []  # piet's task closed as not needed
    assert routed.outbox()[-1].to == "facturen@jansen.example"


def test_when_one_is_enough_the_first_decision_counts(routed: Site) -> None:
    body = routed.post_invoice("matching_difference.xml")  # routed to "one: carla, piet"
    piet = routed.task("piet", body["instance_id"])
    assert routed.task("carla", body["instance_id"])["element_id"] == "approve_several"
    routed.act("piet", piet["id"], "approve")
    assert status(routed, body) == "approved"
    assert routed.tasks("carla", body["instance_id"]) == []
    closed = [e for e in routed.history(body["instance_id"]) if e["action"] == "task.closed"]
    assert [e["after"]["status"] for e in closed] == ["not_needed"]


def test_an_invoice_routed_to_a_user_is_assigned_to_that_user(routed: Site) -> None:
    body = routed.post_invoice("auto_approve_small_difference.xml")  # routed to "user: erik"
    task = routed.task("erik", body["instance_id"])
    assert (task["assignee"], task["candidate_groups"], task["candidate_roles"]) == ("erik", [], [])
    assert routed.tasks("carla", body["instance_id"]) == []
    routed.act("erik", task["id"], "approve")
    assert status(routed, body) == "approved"


def test_an_invoice_routed_to_a_role_is_offered_to_everyone_with_it(routed: Site) -> None:
    body = routed.post_invoice("preferred_bank_differs.xml")  # routed to "role: designer"
    task = routed.task("designer", body["instance_id"])
    assert (task["assignee"], task["candidate_groups"], task["candidate_roles"]) == (None, [], ["designer"])
    assert routed.tasks("carla", body["instance_id"]) == []
    routed.act("designer", task["id"], "disapprove", {"reason": "unknown account"})
    assert status(routed, body) == "disapproved"
