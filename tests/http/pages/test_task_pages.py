"""The task page shows invoice fields escaped, serves attachments safely, and the decision tester works."""
from __future__ import annotations

import base64

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from server.tasks.models import HumanTask
from tests.e2e.site import Site, csrf

SCRIPT_NAME = "<script>alert('x')</script> B.V."
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _hostile_invoice() -> bytes:
    """A demo invoice whose supplier name is a script tag and which carries an embedded PDF."""
    xml = next(p for p in demo_invoice_paths() if p.name == "unknown_bank_account.xml").read_text("utf-8")
    xml = xml.replace("Pieters Transport B.V.", SCRIPT_NAME.replace("<", "&lt;").replace(">", "&gt;"))
    xml = xml.replace("<cbc:ID>PT-2026-0411</cbc:ID>", "<cbc:ID>PT-XSS-1</cbc:ID>", 1)
    attachment = ("<cac:AdditionalDocumentReference><cbc:ID>INV-PDF</cbc:ID><cac:Attachment>"
                  '<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="../../etc/inv&quot;.pdf">'
                  f"{base64.b64encode(PDF).decode()}</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>"
                  "</cac:AdditionalDocumentReference>")
    return xml.replace("<cac:AccountingSupplierParty>", attachment + "<cac:AccountingSupplierParty>", 1).encode()


def _task_for_hostile_invoice(site: Site) -> int:
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=_hostile_invoice(),
                             filename="hostile.xml", source="web")
    assert result.instance_id is not None, result
    with site.host.db.unit_of_work() as session:
        return session.scalars(select(HumanTask.id).where(HumanTask.instance_id == result.instance_id)).one()


def test_a_script_in_the_supplier_name_is_shown_as_text_everywhere(site: Site) -> None:
    task_id = _task_for_hostile_invoice(site)
    client = site.client("carla")
    for url in (f"/tasks/{task_id}", "/tasks", "/inbox"):
        html = client.get(url).text
        assert "<script>alert" not in html, url
        assert "&lt;script&gt;alert(" in html, url


def test_the_embedded_pdf_is_served_inline_with_a_safe_name_and_type(site: Site) -> None:
    task_id = _task_for_hostile_invoice(site)
    client = site.client("carla")
    response = client.get(f"/tasks/{task_id}/attachments/1")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;") and "/" not in disposition.split("filename=")[1]
    assert "sandbox" in response.headers["Content-Security-Policy"]
    download = client.get(f"/tasks/{task_id}/attachments/1?download=1")
    assert download.mimetype == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert client.get(f"/tasks/{task_id}/attachments/5").status_code == 404


def test_the_decision_tester_shows_the_matched_rule_for_sample_inputs(site: Site) -> None:
    client = site.client("designer")
    url = "/designer/purchase_invoice/test/invoice_approval.dmn"
    page = client.get(url)
    assert page.status_code == 200 and "possible_duplicate" in page.text
    response = client.post(url, data={"csrf_token": csrf(page.text), "in:possible_duplicate": "true",
                                      "in:supplier_match_bank_account": "true"})
    assert response.status_code == 200
    assert 'data-testid="decision-result"' in response.text
    assert "creditors" in response.text


def test_a_user_without_the_role_cannot_open_the_designer(site: Site) -> None:
    response = site.client("carla").get("/designer")
    assert response.status_code == 403
    assert "Not allowed" in response.text
