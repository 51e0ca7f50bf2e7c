"""Starting a waiting document by hand from the inbox gives the workflow the invoice's full data."""
from __future__ import annotations

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.instances.models import ProcessInstance
from server.invoices import service as invoices
from server.invoices.models import ReceivedDocument
from tests.e2e.site import Site, csrf


def test_a_document_from_an_unknown_sender_waits_and_a_manual_start_carries_the_invoice(site: Site):
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    xml = next(p for p in demo_invoice_paths() if p.name == "auto_approve_exact.xml").read_bytes()
    xml = xml.replace(b"<cbc:ID>", b"<cbc:ID>MANUAL-", 1)
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=xml, filename="mail.xml",
                             source="mail", sender="stranger@example.com",
                             validator=lambda content, mode, max_bytes: invoices.default_validator(content, "off",
                                                                                                  max_bytes))
    assert result.status == "waiting" and result.instance_id is None
    admin = site.client("admin")
    page = admin.get("/inbox")
    response = admin.post("/inbox/start", data={"model": "purchase_invoice", "document_id": result.document_id,
                                                "csrf_token": csrf(page.text)})
    assert response.status_code == 302
    with site.host.db.unit_of_work() as session:
        document = session.get(ReceivedDocument, result.document_id)
        instance = session.get(ProcessInstance, document.instance_id)
        assert instance.model_key == "purchase_invoice" and instance.business_key.startswith("MANUAL-")
    again = admin.post("/inbox/start", data={"model": "purchase_invoice", "document_id": result.document_id,
                                             "csrf_token": csrf(page.text)})
    assert again.status_code in (302, 409)  # pages answer with a message, not a second instance
    with site.host.db.unit_of_work() as session:
        started = session.scalars(select(ProcessInstance).where(
            ProcessInstance.business_key == instance.business_key)).all()
        assert len(started) == 1
