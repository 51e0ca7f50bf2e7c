"""Submitting a document and starting its workflow: the API, the inbox page, `stroom ingest`, the watched
folder (`stroom inbox scan`) each call one verb and so change the same state, audit the same and answer alike."""
from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.instances.models import ProcessInstance
from server.invoices.models import Invoice, ReceivedDocument
from server.operations import documents
from tests.http.operations.conftest import Edges
from tests.support.paths import REPO

SAMPLE = (REPO / "tests" / "data" / "invoices" / "matching_difference.xml").read_bytes()
ANSWER_FIELDS = ("status", "workflow", "duplicate", "reasons", "warnings", "document_type", "profile")


def invoice_numbered(prefix: str) -> bytes:
    """The sample under its own invoice number (the same bytes twice are one document)."""
    return SAMPLE.replace(b"<cbc:ID>", f"<cbc:ID>{prefix}-".encode(), 1)


def outcome(edges: Edges, document_id: int) -> dict[str, Any]:
    """What a submission left behind: the document, its invoice, its workflow and their audit entries."""
    with edges.site.host.db.unit_of_work() as session:
        document = session.get(ReceivedDocument, document_id)
        invoice = session.scalars(select(Invoice).where(Invoice.document_id == document_id)).one()
        instance = session.get(ProcessInstance, document.instance_id)
        state = {"document": (document.status, document.document_type, document.profile, len(document.reasons)),
                 "invoice": (invoice.status, invoice.instance_id == instance.id, invoice.currency),
                 "instance": (instance.model_key, instance.status)}
    received = edges.audit("document.received", document_id).after
    accepted = edges.audit("document.accepted", document_id)
    state["audit"] = (sorted(received),  # sha256, size, source, filename: each document's own
                      accepted.after, accepted.instance_id == document.instance_id)
    return state


def test_a_document_submitted_through_every_edge_lands_the_same(edges: Edges, tmp_path) -> None:
    client, token = edges.browser("admin")
    api = client.post("/api/v1/invoices", data=invoice_numbered("API"), content_type="application/xml",
                      headers={"X-CSRF-Token": token, "X-Filename": "api.xml"})
    assert api.status_code == 201, api.get_json()
    page = client.post("/inbox/upload", data={"csrf_token": token, "document": (
        io.BytesIO(invoice_numbered("PAGE")), "page.xml")}, content_type="multipart/form-data")
    assert page.status_code == 302
    page_id = int(re.search(r"document (\d+)", client.get("/inbox").text).group(1))  # the flashed answer
    (tmp_path / "cli.xml").write_bytes(invoice_numbered("CLI"))
    code, cli = edges.stroom("ingest", str(tmp_path / "cli.xml"))
    assert code == 0, cli
    inbox = tmp_path / "watched"
    inbox.mkdir()
    (inbox / "watched.xml").write_bytes(invoice_numbered("INBOX"))
    code, watched = edges.stroom("inbox", "scan", STROOM_INBOX_DIR=str(inbox))
    assert code == 0, watched

    answers = [api.get_json(), cli[0], watched[0]]
    assert [{k: a[k] for k in ANSWER_FIELDS} for a in answers] == [{k: answers[0][k] for k in ANSWER_FIELDS}] * 3
    assert answers[0]["status"] == "accepted" and answers[0]["workflow"] == "purchase_invoice"
    ids = [answers[0]["document_id"], page_id, cli[0]["document_id"], watched[0]["document_id"]]
    assert len(set(ids)) == 4
    states = [outcome(edges, document_id) for document_id in ids]
    assert states == [states[0]] * 4
    sources = [edges.audit("document.received", i).after["source"] for i in ids]
    assert sources == ["api", "web", "cli", "inbox"]


def test_a_waiting_document_started_from_the_api_or_the_inbox_page_starts_alike(edges: Edges) -> None:
    waiting = [documents.submit_content(edges.site.host, actor=system_actor(edges), content=invoice_numbered(n),
                                        filename=f"{n}.xml", source="mail", sender="stranger@example.com")
               for n in ("MAIL-API", "MAIL-PAGE")]
    assert [w.status for w in waiting] == ["waiting", "waiting"]
    client, token = edges.browser("carla")
    api = client.post(f"/api/v1/documents/{waiting[0].document_id}/start", json={},
                      headers={"X-CSRF-Token": token})
    assert api.status_code == 201, api.get_json()
    page = client.post("/inbox/start", data={"csrf_token": token, "model": "purchase_invoice",
                                             "document_id": waiting[1].document_id})
    assert page.status_code == 302
    page_instance = int(page.headers["Location"].rstrip("/").split("/")[-1])
    started = {}
    for document_id in (w.document_id for w in waiting):
        entry = edges.audit("document.started", document_id)
        with edges.site.host.db.unit_of_work() as session:
            document = session.get(ReceivedDocument, document_id)
            instance = session.get(ProcessInstance, document.instance_id)
            started[document_id] = (document.status, instance.model_key, instance.status, entry.actor, entry.after,
                                    entry.instance_id == instance.id)
    assert started[waiting[0].document_id] == started[waiting[1].document_id]
    assert started[waiting[0].document_id][:2] == ("accepted", "purchase_invoice")
    assert api.get_json()["instance_id"] != page_instance
    again = client.post(f"/api/v1/documents/{waiting[0].document_id}/start", json={},
                        headers={"X-CSRF-Token": token})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_started"


def test_only_someone_who_may_start_workflows_starts_a_document(edges: Edges) -> None:
    waiting = documents.submit_content(edges.site.host, actor=system_actor(edges), content=invoice_numbered("X"),
                                       source="mail", sender="stranger@example.com")
    client, token = edges.browser("audrey")  # an auditor reads, never starts
    refused = client.post(f"/api/v1/documents/{waiting.document_id}/start", json={},
                          headers={"X-CSRF-Token": token})
    assert refused.status_code == 403
    bad = edges.browser("carla")
    wrong = bad[0].post(f"/api/v1/documents/{waiting.document_id}/start", json={"model": 7},
                        headers={"X-CSRF-Token": bad[1]})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["details"][0]["field"] == "model"


def system_actor(edges: Edges) -> Actor:
    with edges.site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    return Actor.system(env_id, "mail")
