"""The four smaller templates, each along its main path and its rejection path, over HTTP."""
from __future__ import annotations

import base64

from tests.e2e_flows.site import Site

CONCEPT = {"invoice_number": "V-2026-001", "customer_name": "Bakkerij Bol B.V.", "payable_amount": "1250.00",
           "currency": "EUR"}
RECEIPT = base64.b64encode(b"%PDF-1.4 receipt of a train ticket").decode()


def claim(amount: str) -> dict:
    return {"amount": amount, "expense_date": "2026-03-02", "category": "travel", "description": "Train to Utrecht",
            "receipt_filename": "ticket.pdf", "receipt": RECEIPT}


# -- concept sales invoice -------------------------------------------------------------------------

def test_a_reviewed_concept_sales_invoice_counts_as_sent(site: Site) -> None:
    instance_id = site.start("erik", "sales_invoice_concept", CONCEPT)
    task = site.task("frank", instance_id)
    assert (task["name"], task["candidate_groups"]) == ("Review concept sales invoice", ["finance"])
    site.act("frank", task["id"], "approve", {"comment": "fine"})
    view = site.instance(instance_id)
    assert view["status"] == "completed" and view["data"]["sales_invoice_status"] == "sent"
    sent = next(e for e in site.history(instance_id) if e["action"] == "sales_invoice.sent")
    assert sent["after"]["number"] == "V-2026-001" and sent["after"]["approved_by"] == "frank"


def test_the_author_may_not_review_their_own_concept(site: Site) -> None:
    instance_id = site.start("frank", "sales_invoice_concept", CONCEPT)
    task = site.tasks("frank", instance_id)[0]
    refused = site.act("frank", task["id"], "approve", expect=403)
    assert refused["error"]["code"] == "four_eyes"


def test_a_disapproved_concept_returns_to_its_author_with_the_reason(site: Site) -> None:
    instance_id = site.start("erik", "sales_invoice_concept", CONCEPT)
    review = site.task("frank", instance_id)
    site.act("frank", review["id"], "disapprove", {"reason": "use the framework contract price"})
    rework = site.task("erik", instance_id)
    assert (rework["name"], rework["assignee"]) == ("Rework concept sales invoice", "erik")
    detail = site.client.get(f"/api/v1/tasks/{rework['id']}", headers=site.auth("erik")).get_json()
    assert detail["data"]["reason"] == "use the framework contract price"
    assert any(m.to == "erik <erik@example.com>" and "Rework concept" in m.subject for m in site.outbox())
    corrected = {**CONCEPT, "payable_amount": 1100}
    site.act("erik", rework["id"], "complete", {"data": {**corrected, "next_step": "resubmit"}})
    again = site.task("frank", instance_id)
    assert again["element_id"] == "review_concept"
    site.act("frank", again["id"], "disapprove", {"reason": "no longer needed"})
    rework = site.task("erik", instance_id)
    site.act("erik", rework["id"], "complete", {"data": {**corrected, "next_step": "withdraw"}})
    view = site.instance(instance_id)
    assert view["status"] == "completed" and "sales_invoice_status" not in view["data"]
    assert view["data"]["payable_amount"] == 1100 and view["data"]["reason"] == "no longer needed"
    assert "sales_invoice.sent" not in site.actions(instance_id)
    assert {e["element_id"] for e in view["elements"] if e["state"] == "done"} >= {"withdrawn"}


# -- expense declaration ---------------------------------------------------------------------------

def submit(site: Site, amount: str) -> int:
    instance_id = site.start("erik", "expense_declaration", {})
    task = site.task("erik", instance_id)
    assert (task["name"], task["assignee"]) == ("Submit expense claim", "erik")
    site.act("erik", task["id"], "complete", {"data": claim(amount)})
    return instance_id


def test_a_small_claim_needs_only_the_manager(site: Site) -> None:
    instance_id = submit(site, "120.50")
    task = site.task("maria", instance_id)
    assert (task["name"], task["candidate_groups"]) == ("Manager approval", ["managers"])
    site.act("maria", task["id"], "approve")
    view = site.instance(instance_id)
    assert view["status"] == "completed" and view["data"]["needs_finance"] is False
    assert view["data"]["receipt"] == RECEIPT and view["data"]["category"] == "travel"
    assert "claim_approved" in {e["element_id"] for e in view["elements"] if e["state"] == "done"}


def test_a_claim_above_the_threshold_needs_finance_too(site: Site) -> None:
    instance_id = submit(site, "750.00")
    site.act("maria", site.task("maria", instance_id)["id"], "approve")
    task = site.task("frank", instance_id)
    assert (task["name"], task["candidate_groups"]) == ("Finance approval", ["finance"])
    site.act("frank", task["id"], "approve")
    view = site.instance(instance_id)
    assert view["status"] == "completed" and view["data"]["_actors"]["finance_approval"] == ["frank"]
    assert "claim_approved" in {e["element_id"] for e in view["elements"] if e["state"] == "done"}


def test_a_manager_cannot_approve_their_own_claim(site: Site) -> None:
    instance_id = site.start("maria", "expense_declaration", {})
    site.act("maria", site.task("maria", instance_id)["id"], "complete", {"data": claim("80.00")})
    task = site.task("maria", instance_id)  # she sees it as a manager ...
    assert task["name"] == "Manager approval"
    assert site.act("maria", task["id"], "approve", expect=403)["error"]["code"] == "four_eyes"  # ... but may not act


def test_a_rejected_claim_ends_rejected(site: Site) -> None:
    instance_id = submit(site, "750.00")
    site.act("maria", site.task("maria", instance_id)["id"], "disapprove", {"reason": "not a business trip"})
    view = site.instance(instance_id)
    assert view["status"] == "completed" and view["data"]["reason"] == "not a business trip"
    done = {e["element_id"] for e in view["elements"] if e["state"] == "done"}
    assert "claim_rejected" in done and "finance_approval" not in done


def test_a_claim_without_a_receipt_is_refused_by_the_form(site: Site) -> None:
    instance_id = site.start("erik", "expense_declaration", {})
    task = site.task("erik", instance_id)
    refused = site.act("erik", task["id"], "complete", {"data": {**claim("10.00"), "receipt": ""}}, expect=422)
    assert [d["field"] for d in refused["error"]["details"]] == ["receipt"]


# -- conversion task -------------------------------------------------------------------------------

def test_a_refused_document_is_answered_with_the_reasons(site: Site) -> None:
    response = site.client.post("/api/v1/invoices", data=b"%PDF-1.7 not an invoice",
                                headers={**site.auth("scanner"), "X-Sender": "Jansen <facturen@jansen.example>",
                                         "X-Filename": "scan.pdf"}, content_type="application/xml")
    assert response.status_code == 422
    body = response.get_json()
    assert body["workflow"] == "conversion_task"
    view = site.instance(body["instance_id"])
    assert view["status"] == "completed" and view["open_tasks"] == []
    mails = site.outbox()
    assert [m.to for m in mails] == ["facturen@jansen.example"]  # the trusted address, not the name it came with
    assert "scan.pdf" not in mails[0].subject + mails[0].body  # named by its SHA-256, not by the sender's words
    assert "not_xml: The document is not well-formed XML." in mails[0].body
    assert "mail.queued" in site.actions(body["instance_id"])


def test_a_refused_document_without_a_sender_is_followed_up_by_creditors(site: Site) -> None:
    response = site.client.post("/api/v1/invoices", data=b"%PDF-1.7 not an invoice", headers=site.auth("scanner"),
                                content_type="application/xml")
    body = response.get_json()
    task = site.task("carla", body["instance_id"])
    assert (task["name"], task["candidate_groups"]) == ("Follow up the document", ["creditors"])
    site.act("carla", task["id"], "complete", {"data": {"resolution": "discarded", "note": "spam"}})
    view = site.instance(body["instance_id"])
    assert view["status"] == "completed" and view["data"]["resolution"] == "discarded"
    assert site.outbox() == []


# -- trusted sender --------------------------------------------------------------------------------

def request_trust(site: Site, login: str, document_id: int, motivation: str = "") -> int:
    """Ask to trust the sender of a received document (the only way to start trusted_sender)."""
    response = site.client.post(f"/api/v1/documents/{document_id}/start", headers=site.auth(login),
                                json={"model": "trusted_sender", "motivation": motivation})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["instance_id"]


def test_an_approved_sender_is_trusted_and_its_waiting_documents_start(site: Site) -> None:
    waiting = site.post_invoice("matching_difference.xml", sender="De Vries <debiteuren@devries.example>")
    assert waiting["status"] == "waiting" and waiting["instance_id"] is None
    instance_id = request_trust(site, "carla", waiting["document_id"], "our installer, sends by mail")
    task = site.task("admin", instance_id)
    assert (task["name"], task["candidate_roles"]) == ("Approve trusted sender", ["admin"])
    assert site.tasks("carla", instance_id) == []
    site.act("admin", task["id"], "approve")
    view = site.instance(instance_id)
    assert view["status"] == "completed" and view["data"]["trusted_sender"] == "debiteuren@devries.example"
    listed = site.client.get("/api/v1/masterdata/trusted_senders", headers=site.auth("admin")).get_json()
    assert "debiteuren@devries.example" in str(listed)
    document = site.client.get(f"/api/v1/documents/{waiting['document_id']}", headers=site.auth("carla")).get_json()
    assert document["status"] == "accepted" and document["instance_id"] == view["data"]["released_documents"][0]
    assert site.task("piet", document["instance_id"])["name"] == "Approve invoice"
    later = site.post_invoice("unknown_bank_account.xml", sender="debiteuren@devries.example")
    assert later["status"] == "accepted" and later["instance_id"] is not None  # no manual start any more


def test_a_refused_sender_stays_untrusted(site: Site) -> None:
    first = site.post_invoice("auto_approve_exact.xml", sender="spam@elsewhere.example")
    instance_id = request_trust(site, "carla", first["document_id"], "?")
    site.act("admin", site.task("admin", instance_id)["id"], "disapprove", {"reason": "unknown party"})
    view = site.instance(instance_id)
    assert view["status"] == "completed" and "trusted_sender" not in view["data"]
    later = site.post_invoice("matching_difference.xml", sender="spam@elsewhere.example")
    assert later["status"] == "waiting"


def test_the_requester_cannot_approve_their_own_request(site: Site) -> None:
    waiting = site.post_invoice("matching_difference.xml", sender="new@supplier.example")
    instance_id = request_trust(site, "admin", waiting["document_id"], "new")
    task = site.task("admin", instance_id)
    assert site.act("admin", task["id"], "approve", expect=403)["error"]["code"] == "four_eyes"
