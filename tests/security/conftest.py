"""A site with demo users and one hostile invoice: a <script> supplier name and an HTML attachment."""
from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import User
from server.invoices import service as invoices
from tests.e2e.site import Site, build_site

SCRIPT = "<script>alert(1)</script>"
ATTACHMENT_HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
ATTACHMENT_NAME = 'evil"\r\nX-Injected: 1;.html'


@dataclasses.dataclass(frozen=True)
class Hostile:
    site: Site
    invoice_id: int
    instance_id: int
    document_id: int


def hostile_invoice() -> bytes:
    from server.demo_data import demo_invoice_paths

    path = next(p for p in demo_invoice_paths() if p.name == "unknown_bank_account.xml")
    xml = path.read_bytes().replace(b"Pieters Transport B.V.", b"&lt;script&gt;alert(1)&lt;/script&gt;")
    attachment = (b"<cac:AdditionalDocumentReference><cbc:ID>att-1</cbc:ID><cac:Attachment>"
                  b'<cbc:EmbeddedDocumentBinaryObject mimeCode="text/html" filename="'
                  + ATTACHMENT_NAME.replace('"', "&quot;").replace("\r", "&#13;").replace("\n", "&#10;").encode()
                  + b'">' + base64.b64encode(ATTACHMENT_HTML)
                  + b"</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>")
    return xml.replace(b"<cac:AccountingSupplierParty>", attachment + b"<cac:AccountingSupplierParty>", 1)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    # the shipped password costs: test_login_and_secrets checks the demo users' stored hashes carry them
    site = build_site(Path(tmp_path_factory.mktemp("security")), shipped_password_costs=True)
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(User.environment_id).where(User.login == "admin")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=hostile_invoice(),
                             filename="hostile.xml", source="api")
    assert result.invoice_id and result.instance_id, result
    yield Hostile(site, result.invoice_id, result.instance_id, result.document_id)
    site.host.db.dispose()
