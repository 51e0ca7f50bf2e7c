"""An invoice's attachments carry the same numbers on the task page and in the API: 1 is the first."""
from __future__ import annotations

import base64

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from server.tasks.models import HumanTask
from tests.e2e.site import Site

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _reference(ref_id: str, inner: str) -> str:
    return f"<cac:AdditionalDocumentReference><cbc:ID>{ref_id}</cbc:ID><cac:Attachment>{inner}</cac:Attachment>" \
           "</cac:AdditionalDocumentReference>"


def _embedded(ref_id: str, mime: str, name: str, data: bytes) -> str:
    return _reference(ref_id, f'<cbc:EmbeddedDocumentBinaryObject mimeCode="{mime}" filename="{name}">'
                              f"{base64.b64encode(data).decode()}</cbc:EmbeddedDocumentBinaryObject>")


def _invoice_with_two_attachments_behind_a_link() -> bytes:
    """A link to an outside file first (no bytes to serve), then a PDF and a PNG in the document."""
    xml = next(p for p in demo_invoice_paths() if p.name == "unknown_bank_account.xml").read_text("utf-8")
    xml = xml.replace("<cbc:ID>PT-2026-0411</cbc:ID>", "<cbc:ID>PT-NUMBERS-1</cbc:ID>", 1)
    parts = (_reference("LINK", "<cac:ExternalReference><cbc:URI>https://example.com/x.pdf</cbc:URI>"
                                "</cac:ExternalReference>")
             + _embedded("SCAN", "application/pdf", "scan.pdf", PDF) + _embedded("PHOTO", "image/png", "photo.png", PNG))
    return xml.replace("<cac:AccountingSupplierParty>", parts + "<cac:AccountingSupplierParty>", 1).encode()


def _received(site: Site) -> tuple[int, int]:
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"),
                             content=_invoice_with_two_attachments_behind_a_link(), filename="numbers.xml",
                             source="web")
    assert result.instance_id is not None and result.invoice_id is not None, result
    with site.host.db.unit_of_work() as session:
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == result.instance_id)).one()
    return result.invoice_id, task_id


def test_the_task_page_and_the_api_give_the_same_attachment_for_the_same_number(site: Site) -> None:
    invoice_id, task_id = _received(site)
    carla = site.client("carla")
    page = carla.get(f"/tasks/{task_id}").text
    assert f"/tasks/{task_id}/attachments/1" in page and f"/tasks/{task_id}/attachments/2" in page
    assert f"/tasks/{task_id}/attachments/0" not in page
    for number, data in ((1, PDF), (2, PNG)):
        from_page = carla.get(f"/tasks/{task_id}/attachments/{number}?download=1")
        from_api = carla.get(f"/api/v1/invoices/{invoice_id}/attachments/{number}")
        assert from_page.status_code == from_api.status_code == 200, number
        assert from_page.data == from_api.data == data, number


def test_number_zero_and_one_past_the_last_are_not_found_on_both_edges(site: Site) -> None:
    invoice_id, task_id = _received(site)
    carla = site.client("carla")
    for number in (0, 3):
        assert carla.get(f"/tasks/{task_id}/attachments/{number}").status_code == 404
        missing = carla.get(f"/api/v1/invoices/{invoice_id}/attachments/{number}")
        assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "attachment_not_found"
