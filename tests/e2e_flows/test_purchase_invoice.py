"""The purchase-invoice template, one sample invoice per row of the default decision table, over HTTP.

Each story posts its UBL sample as the scanning system, with the demo master data loaded, and checks
the route (auto-approved, or the approval task's group), what people see and do, the e-mails in the
outbox and the audit trail an auditor reads.
"""
from __future__ import annotations

from typing import Any

import pytest

from tests.e2e_flows.site import INVOICES, Site

CONTACTS = {"jansen": "facturen@jansen.example", "pieters": "administratie@pieters.example",
            "devries": "debiteuren@devries.example"}


def invoice_status(site: Site, invoice_id: int) -> str:
    response = site.client.get(f"/api/v1/invoices/{invoice_id}", headers=site.auth("audrey"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["status"]


def approval_decision(site: Site, instance_id: int) -> dict[str, Any]:
    """The audited evaluation of the approval table: matched rule and outputs."""
    found = [e["after"] for e in site.history(instance_id)
             if e["action"] == "engine.decision" and e["after"]["decision"] == "invoice_approval"]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("sample", "rule", "reason"), [
    ("auto_approve_exact.xml", "Rule_auto_no_difference", "auto-approved: no match difference"),
    ("auto_approve_small_difference.xml", "Rule_auto_small_difference",
     "auto-approved: confrontation difference below 1%"),
])
def test_a_matching_invoice_is_approved_automatically_and_ready_to_book(site: Site, sample, rule, reason) -> None:
    body = site.post_invoice(sample)
    assert (body["status"], body["workflow"]) == ("accepted", "purchase_invoice")
    view = site.instance(body["instance_id"])
    assert view["status"] == "completed" and view["open_tasks"] == []
    assert {e["element_id"] for e in view["elements"] if e["state"] == "done"} >= {
        "match_invoice", "validate_invoice", "decide_approval", "record_approved", "approved"}
    assert invoice_status(site, body["invoice_id"]) == "approved"
    decision = approval_decision(site, body["instance_id"])
    assert decision["matched_rules"][0]["id"] == rule
    assert decision["outputs"]["auto_approve"] is True and decision["outputs"]["reason"] == reason
    actions = site.actions(body["instance_id"])
    assert "invoice.approved" in actions and "task.created" not in actions
    assert site.outbox() == []  # nobody is bothered with an invoice that needs no one


# sample, rule, group and its member, what the member does, the supplier contact
ROUTED = [
    ("matching_difference.xml", "Rule_matching_difference", "purchasing", "piet", "approve", "devries"),
    ("preferred_bank_differs.xml", "Rule_preferred_bank_account_differs", "creditors", "carla", "disapprove",
     "pieters"),
    ("unknown_bank_account.xml", "Rule_no_supplier_bank_account_match", "creditors", "carla", "disapprove",
     "pieters"),
    ("unknown_administration.xml", "Rule_no_administration_name_match", "creditors", "carla", "approve",
     "jansen"),
]


@pytest.mark.parametrize(("sample", "rule", "group", "member", "action", "supplier"), ROUTED)
def test_an_invoice_with_an_exception_goes_to_its_group(site: Site, sample, rule, group, member, action,
                                                        supplier) -> None:
    body = site.post_invoice(sample)
    instance_id = body["instance_id"]
    assert approval_decision(site, instance_id)["matched_rules"][0]["id"] == rule
    task = site.task(member, instance_id)
    assert (task["name"], task["candidate_groups"], task["element_id"]) == ("Approve invoice", [group],
                                                                             "approve_invoice")
    assert task["due_at"] is not None  # from the payment due date minus the margin
    other = "carla" if member == "piet" else "piet"
    assert site.tasks(other, instance_id) == []  # the other group does not see it
    assert [(m.to, m.subject) for m in site.outbox()] == [
        (f"{member} <{member}@example.com>", f"New task: Approve invoice ({task['supplier_name']})")]
    finish(site, member, task["id"], action)
    view = site.instance(instance_id)
    assert view["status"] == "completed" and view["open_tasks"] == []
    outcome = "approved" if action == "approve" else "disapproved"
    assert invoice_status(site, body["invoice_id"]) == outcome
    mails = site.outbox()[1:]
    if action == "disapprove":
        assert [m.to for m in mails] == [CONTACTS[supplier]]
        # The demo suppliers read Dutch (master data language nl).
        assert "niet geaccepteerd" in mails[0].subject and "wrong bank account on file" in mails[0].body
    else:
        assert mails == []
    actions = site.actions(instance_id)
    for expected in ("instance.started", "engine.decision", "task.created", "mail.queued", "task.completed",
                     f"invoice.{outcome}", "instance.status_changed"):
        assert expected in actions
    assert actions.index("task.created") < actions.index("task.completed") < actions.index(f"invoice.{outcome}")


def finish(site: Site, login: str, task_id: int, action: str) -> None:
    if action == "approve":
        site.act(login, task_id, "approve", {"comment": "checked with the order"})
    else:
        site.act(login, task_id, "disapprove", {"reason": "wrong bank account on file"})


def test_a_possible_duplicate_goes_to_creditors_even_though_it_matches(site: Site) -> None:
    original = site.post_invoice("possible_duplicate_original.xml")
    # It cites no order number: invoice_validation's finding keeps it from auto-approval.
    assert approval_decision(site, original["instance_id"])["outputs"]["reason"] == "validation: order number missing"
    body = site.post_invoice("possible_duplicate.xml")
    decision = approval_decision(site, body["instance_id"])
    assert decision["matched_rules"][0]["id"] == "Rule_possible_duplicate"
    task = site.task("carla", body["instance_id"])
    assert task["candidate_groups"] == ["creditors"]
    site.act("carla", task["id"], "disapprove", {"reason": "already paid under the same number"})
    assert invoice_status(site, body["invoice_id"]) == "disapproved"
    mail = site.outbox()[-1]
    assert mail.to == CONTACTS["jansen"] and "already paid under the same number" in mail.body
    history = site.history(body["instance_id"])
    disapproved = next(e for e in history if e["action"] == "invoice.disapproved")
    assert disapproved["actor"] == "carla" and disapproved["after"]["note"] == "already paid under the same number"


def credit_note_of(sample: str, number: str) -> bytes:
    """The sample turned into a UBL CreditNote for the full amount, on the same date, under `number`."""
    xml = (INVOICES / sample).read_text()
    for invoice, credit in (("Invoice-2", "CreditNote-2"), ("<Invoice ", "<CreditNote "), ("</Invoice>", "</CreditNote>"),
                            ("InvoiceTypeCode>380<", "CreditNoteTypeCode>381<"), ("InvoiceTypeCode>", "CreditNoteTypeCode>"),
                            ("cac:InvoiceLine>", "cac:CreditNoteLine>"), ("cbc:InvoicedQuantity", "cbc:CreditedQuantity")):
        xml = xml.replace(invoice, credit)
    xml = xml.replace("<cbc:ID>JK-2026-0090</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>", 1)
    xml = xml.replace("<cbc:DueDate>2026-03-18</cbc:DueDate>", "")  # a credit note has none at the top
    # NL-R-001: a Dutch credit note names the invoice it credits.
    return xml.replace("</cbc:BuyerReference>", "</cbc:BuyerReference><cac:BillingReference><cac:InvoiceDocumentReference>"
                       "<cbc:ID>JK-2026-0090</cbc:ID></cac:InvoiceDocumentReference></cac:BillingReference>", 1).encode()


def test_a_full_credit_note_on_the_invoice_date_is_not_taken_for_a_duplicate_of_the_invoice(site: Site) -> None:
    original = site.post_invoice("possible_duplicate_original.xml")
    response = site.client.post("/api/v1/invoices", data=credit_note_of("possible_duplicate_original.xml", "CN-2026-7"),
                                headers=site.auth("scanner"), content_type="application/xml")
    assert response.status_code == 201, response.get_json()
    credit = response.get_json()
    assert credit["document_type"] == "CreditNote" and credit["invoice_id"] != original["invoice_id"]
    stored = site.client.get(f"/api/v1/invoices/{credit['invoice_id']}", headers=site.auth("audrey")).get_json()
    assert stored["collection"]["possible_duplicate"] is False
    assert approval_decision(site, credit["instance_id"])["matched_rules"][0]["id"] != "Rule_possible_duplicate"


def test_the_approval_form_is_checked_on_the_server(site: Site) -> None:
    body = site.post_invoice("matching_difference.xml")
    task = site.task("piet", body["instance_id"])
    detail = site.client.get(f"/api/v1/tasks/{task['id']}", headers=site.auth("piet")).get_json()
    assert detail["form"]["key"] == "invoice_approval"
    assert detail["data"]["reason"] == "matching difference"
    refused = site.act("piet", task["id"], "complete", {"data": {"decision": "maybe"}}, expect=422)
    assert refused["error"]["details"][0]["field"] == "decision"
    site.act("piet", task["id"], "complete", {"data": {"decision": "disapprove", "reason": "price too high"}})
    assert invoice_status(site, body["invoice_id"]) == "disapproved"
    assert "price too high" in site.outbox()[-1].body


def test_an_open_approval_is_reminded_after_two_days_and_escalated_after_five(site: Site) -> None:
    body = site.post_invoice("matching_difference.xml")
    instance_id = body["instance_id"]
    site.outbox()  # the task-assigned mail
    site.clock.advance(days=2, hours=1)
    reminders = site.outbox()[1:]
    assert [(m.to, m.subject) for m in reminders] == [
        ("piet <piet@example.com>", "Reminder: Approve invoice is still open (De Vries Installatietechniek B.V.)")]
    assert site.task("piet", instance_id)["element_id"] == "approve_invoice"  # the reminder does not interrupt
    site.clock.advance(days=3)
    escalation = site.outbox()[2:]
    assert [(m.to, m.subject) for m in escalation] == [
        ("admin <admin@example.com>", "Escalation: Approve invoice was not handled in time")]
    assert site.tasks("piet", instance_id) == []
    task = site.task("admin", instance_id)
    assert (task["element_id"], task["candidate_roles"]) == ("escalated_approval", ["admin"])
    site.act("admin", task["id"], "approve")
    assert invoice_status(site, body["invoice_id"]) == "approved"
    actions = site.actions(instance_id)
    assert actions.count("timer.fired") == 2 and "task.closed" in actions


def test_the_manual_start_from_the_inbox_runs_the_purchase_workflow(site: Site) -> None:
    body = site.post_invoice("matching_difference.xml", sender="Unknown <someone@elsewhere.example>")
    assert (body["status"], body["instance_id"]) == ("waiting", None)
    response = site.client.post(f"/api/v1/documents/{body['document_id']}/start", headers=site.auth("carla"),
                                json={})
    assert response.status_code == 201, response.get_json()
    instance_id = response.get_json()["instance_id"]
    assert site.task("piet", instance_id)["candidate_groups"] == ["purchasing"]
    again = site.client.post(f"/api/v1/documents/{body['document_id']}/start", headers=site.auth("carla"), json={})
    assert again.status_code == 409
