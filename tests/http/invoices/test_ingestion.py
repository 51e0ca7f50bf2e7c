"""POST /api/v1/invoices: stored before processing, then a workflow, or a clear refusal."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import event, select

from server.app import create_app
from server.auth import service as auth_service
from server.demo_data import load_demo
from server.invoices.models import Invoice, ReceivedDocument
from server.tasks.models import HumanTask
from tests.support.factories import bearer, deploy_files, make_user
from tests.support.paths import CORPUS, REPO
from tests.support.writers import writer_hung_inside

MODELS = REPO / "tests" / "data" / "bpmn" / "ingestion"
DEMO_INVOICES = REPO / "server" / "demo_invoices"
VALID = CORPUS / "ubl" / "valid" / "base-example.xml"


def sync_validator(content, mode, max_bytes):
    """The real validation, in-process (the pool is exercised by the bench and the server)."""
    from server.invoices.validation import validate

    return validate(content, mode=mode, max_bytes=max_bytes)


@pytest.fixture
def api(host, monkeypatch):
    actor, token = make_user(host, "sender", roles=("user",), groups=("creditors",))
    deploy_files(host, actor, "purchase_invoice", MODELS / "purchase_invoice.bpmn")
    deploy_files(host, actor, "conversion_task", MODELS / "conversion_task.bpmn")
    monkeypatch.setattr("server.invoices.service.default_validator", sync_validator)
    client = create_app(host=host).test_client()
    return client, bearer(token)


def documents(host):
    with host.db.unit_of_work() as session:
        return session.scalars(select(ReceivedDocument).order_by(ReceivedDocument.id)).all()


def test_a_valid_peppol_invoice_is_stored_and_starts_the_purchase_workflow(api, host):
    client, auth = api
    response = client.post("/api/v1/invoices", data=VALID.read_bytes(), headers=auth,
                           content_type="application/xml")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "accepted" and body["workflow"] == "purchase_invoice"
    assert body["profile"] == "peppol" and body["document_type"] == "Invoice"
    with host.db.unit_of_work() as session:
        invoice = session.get(Invoice, body["invoice_id"])
        assert invoice.number == "Snippet1" and invoice.instance_id == body["instance_id"]
        assert "supplier_match_bank_account" in invoice.collection  # the match service task ran
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == body["instance_id"])).one()
        assert task.supplier_name == invoice.supplier_name and task.amount == invoice.payable_amount


def test_the_same_document_twice_is_answered_with_the_first_result(api, host):
    client, auth = api
    first = client.post("/api/v1/invoices", data=VALID.read_bytes(), headers=auth).get_json()
    again = client.post("/api/v1/invoices", data=VALID.read_bytes(), headers=auth)
    assert again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert again.get_json()["instance_id"] == first["instance_id"]
    assert len(documents(host)) == 1


@pytest.mark.parametrize(("name", "payload", "status", "code"), [
    ("empty body", b"", 422, "empty"),
    ("not xml", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n", 422, "not_xml"),
    ("xxe", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 422,
     "doctype_forbidden"),
    ("billion laughs", (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
     b"<lolz>&lol2;</lolz>"), 422, "doctype_forbidden"),
    ("ubl order", (REPO / "tests" / "data" / "ubl" / "order.xml").read_bytes(), 422, "not_an_invoice"),
    ("billion laughs file", (REPO / "tests" / "data" / "ubl" / "billion-laughs.xml").read_bytes(), 422,
     "doctype_forbidden"),
    ("pdf file", (REPO / "tests" / "data" / "ubl" / "not-xml.pdf").read_bytes(), 422, "not_xml"),
])
def test_bad_documents_are_stored_refused_with_a_reason_and_start_the_conversion_task(api, host, name, payload,
                                                                                       status, code):
    client, auth = api
    response = client.post("/api/v1/invoices", data=payload, headers=auth, content_type="application/xml")
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == code
    assert body["workflow"] == "conversion_task" and body["instance_id"]
    [stored] = documents(host)
    assert stored.status == "rejected" and stored.content == payload and stored.id == body["document_id"]


def test_an_invoice_breaking_the_official_rules_is_refused_with_the_rule_ids(api, host):
    client, auth = api
    bad = VALID.read_bytes().replace(b"<cbc:IssueDate>", b"<cbc:IssueDate>x", 1)
    response = client.post("/api/v1/invoices", data=bad, headers=auth)
    assert response.status_code == 422
    rules = {d["rule"] for d in response.get_json()["error"]["details"]}
    assert rules  # the schema or a business rule names the broken date
    assert documents(host)[0].status == "rejected"


def test_an_oversized_document_is_kept_and_refused_with_413(api, host):
    client, auth = api
    host.settings = host.settings.replace(max_document_bytes=1024)
    big = b"<Invoice>" + b" " * 2048 + b"</Invoice>"
    response = client.post("/api/v1/invoices", data=big, headers=auth)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    (kept,) = documents(host)
    assert (kept.size, kept.sha256, kept.status) == (len(big), hashlib.sha256(big).hexdigest(), "rejected")
    assert kept.content == big[:len(kept.content)] and len(kept.content) < len(big)  # the head only
    again = client.post("/api/v1/invoices", data=big, headers=auth)  # the same body: the first answer
    assert again.status_code == 413 and again.get_json()["duplicate"] is True
    assert len(documents(host)) == 1


def test_posting_without_credentials_is_refused_and_stores_nothing(api, host):
    client, _ = api
    assert client.post("/api/v1/invoices", data=VALID.read_bytes()).status_code == 401
    assert documents(host) == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's writer queue
def test_a_writer_hung_in_its_transaction_gets_a_busy_answer_and_the_retry_is_stored(api, host, monkeypatch):
    client, auth = api
    monkeypatch.setattr("server.db.SQLITE_WAIT_SECONDS", 0.3)
    with writer_hung_inside(host.db, "UPDATE received_documents SET filename = filename"):
        busy = client.post("/api/v1/invoices", data=VALID.read_bytes(), headers=auth)
    assert busy.status_code == 503 and busy.headers["Retry-After"]
    assert busy.get_json()["error"]["code"] == "database_unavailable"
    assert "busy" in busy.get_json()["error"]["message"]
    assert documents(host) == []  # nothing half-stored: the sender was told to retry
    retry = client.post("/api/v1/invoices", data=VALID.read_bytes(), headers=auth)
    assert retry.status_code == 201 and retry.get_json()["status"] == "accepted"


def test_the_master_data_is_read_outside_sqlites_writer_turn_and_the_invoice_still_matches(api, host):
    """On SQLite the candidate suppliers are read before the invoice's transaction (WAL readers never wait
    for the writer, so another process reads beside the one holding the lock); on PostgreSQL, inside it."""
    client, auth = api
    with host.db.unit_of_work() as session:
        load_demo(session, environment_id=auth_service.get_environment(session, auth_service.DEFAULT_ENVIRONMENT).id)
    looked_up: dict[str, int] = {"writer": 0, "reader": 0}

    def counter(side: str):
        def count(conn, cursor, statement, *args) -> None:
            looked_up[side] += "supplier_bank_accounts.iban IN" in statement  # the candidate suppliers' union
        return count

    listeners = [(host.db.engine, counter("writer"))]
    if host.db._read_engine is not host.db.engine:  # SQLite: its own read-only engine
        listeners.append((host.db._read_engine, counter("reader")))
    for engine, listener in listeners:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.post("/api/v1/invoices", data=(DEMO_INVOICES / "auto_approve_exact.xml").read_bytes(),
                               headers=auth, content_type="application/xml")
    finally:
        for engine, listener in listeners:
            event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 201, response.get_json()
    with host.db.unit_of_work() as session:
        invoice = session.get(Invoice, response.get_json()["invoice_id"])
        assert invoice.supplier_id is not None and invoice.collection["supplier_match_bank_account"] == 1
    expected = {"writer": 0, "reader": 1} if host.db.engine.dialect.name == "sqlite" else {"writer": 1, "reader": 0}
    assert looked_up == expected
