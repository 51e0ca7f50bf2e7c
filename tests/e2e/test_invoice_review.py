"""The approver decides from the invoice itself: piet (purchasing) gets a NOK invoice routed for its price
difference against order 6001003 and its goods receipt, paid to another account than the supplier's preferred
one, with the same number as an earlier invoice. On a laptop (1366 px) and a phone (390 px), in English and
Dutch, he sees the lines beside the order with the difference marked in words, both IBANs, the earlier
invoice linked and side by side, the VAT per rate in NOK, why it came to him, and the PDF beside the data;
nothing scrolls sideways on the phone."""
from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.instances import service as instances
from server.instances.shipped import shipped_models
from server.invoices import service as invoices
from server.tasks.models import HumanTask
from tests.e2e.conftest import Browse, served
from tests.e2e.site import Site, build_site

SAMPLE = next(p for p in demo_invoice_paths() if p.name == "matching_difference.xml")
OTHER_IBAN = "NL39RABO0300065264"  # not on file for De Vries (whose preferred account is NL20INGB0001234567)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj " \
      b"3 0 obj<</Type/Page/MediaBox[0 0 200 200]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
WORDS = {
    "en": {"why": "Matching difference", "differs": "price differs from the order", "iban": "Differs:",
           "earlier": "An earlier invoice looks the same", "no_pdf": "no attached document"},
    "nl": {"why": "Matchverschil", "differs": "prijs wijkt af van de order", "iban": "Wijkt af:",
           "earlier": "Een eerdere factuur lijkt hetzelfde", "no_pdf": "geen bijgevoegd document"},
}


def _matching_first(dmn: bytes) -> bytes:
    """The shipped approval table with its "Matching difference" rule moved to the top, as a designer would:
    a price difference goes to purchasing before the bank account or a look-alike sends it to creditors."""
    text = dmn.decode()
    start = text.index('<rule id="Rule_matching_difference">')
    end = text.index("</rule>", start) + len("</rule>")
    rule, text = text[start:end], text[:start] + text[end:]
    first = text.index('<rule id="Rule_possible_duplicate">')
    return (text[:first] + rule + "\n      " + text[first:]).encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(Path(tmp_path_factory.mktemp("invoice-review")))
    model = next(m for m in shipped_models() if m.key == "purchase_invoice")
    dmn = {name: _matching_first(body) if name == "invoice_approval.dmn" else body for name, body in model.dmn.items()}
    with built.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, built.host, actor=Actor.system(env_id, "tests"), key=model.key, bpmn=model.bpmn,
                         dmn=dmn, forms=model.forms)
    yield built
    built.host.db.dispose()


@pytest.fixture(scope="module")
def base_url(site: Site) -> Iterator[str]:
    with served(site) as url:
        yield url


def _ingest(site: Site, xml: str) -> int:
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=xml.encode(), source="web")
    assert result.instance_id is not None, result
    with site.host.db.unit_of_work() as session:
        return session.scalars(select(HumanTask.id).where(HumanTask.instance_id == result.instance_id)).one()


def routed_invoice(site: Site) -> tuple[int, str]:
    """The earlier invoice (16 Feb), then the look-alike in NOK with another IBAN and a PDF: its task id."""
    xml = SAMPLE.read_text("utf-8").replace('currencyID="EUR"', 'currencyID="NOK"').replace(">EUR<", ">NOK<")
    number = "DVI-2026-777"
    xml = xml.replace("<cbc:ID>DVI-2026-031</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>", 1)
    _ingest(site, xml.replace("<cbc:IssueDate>2026-03-04</cbc:IssueDate>", "<cbc:IssueDate>2026-02-16</cbc:IssueDate>"))
    attachment = ("<cac:AdditionalDocumentReference><cbc:ID>invoice</cbc:ID><cac:Attachment>"
                  '<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="DVI-2026-777.pdf">'
                  f"{base64.b64encode(PDF).decode()}</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>"
                  "</cac:AdditionalDocumentReference>\n    <cac:AccountingSupplierParty>")
    xml = xml.replace("<cac:AccountingSupplierParty>", attachment, 1).replace(
        "<cbc:ID>NL20INGB0001234567</cbc:ID>", f"<cbc:ID>{OTHER_IBAN}</cbc:ID>")
    return _ingest(site, xml), number


def sideways(page: Any) -> int:
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def test_piet_decides_a_price_difference_from_the_lines_both_ibans_the_duplicate_and_the_pdf(
        browse: Browse, site: Site) -> None:
    task_id, number = routed_invoice(site)
    page = browse.login("piet")
    for lang in ("en", "nl"):
        words = WORDS[lang]
        page.locator(f"button[name=lang][value={lang}]").first.click()
        page.wait_for_load_state()
        for width, height in ((1366, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{browse.base_url}/tasks/{task_id}")
            assert page.locator("html").get_attribute("lang") == lang
            assert page.get_by_test_id("why-rule").first.inner_text() == words["why"]
            differing = page.locator("[data-testid=line][data-differs=true]")
            assert differing.count() >= 1
            line = differing.first.inner_text()
            assert words["differs"] in line and "NOK" in line and "+NOK" in line, line  # 10 x 72 vs 10 x 65
            assert "72" in line and "65" in line, line
            assert OTHER_IBAN in page.get_by_test_id("iban-invoice").inner_text()
            assert "NL20INGB0001234567" in page.get_by_test_id("iban-preferred").inner_text()
            assert words["iban"] in page.get_by_test_id("iban-differs").inner_text()
            assert words["earlier"] in page.get_by_test_id("duplicate").inner_text()
            compare = page.get_by_test_id("duplicate-compare").inner_text()  # number, dates, amounts, lines
            assert compare.count(number) == 2 and "2026-02-16" in compare and "2026-03-04" in compare, compare
            vat = page.get_by_test_id("vat").inner_text()
            assert "21" in vat and "NOK" in vat and ("1,070.00" in vat if lang == "en" else "1.070,00" in vat), vat
            assert "['" not in page.content() and "= None" not in page.content()
            if width == 1366:
                frame = page.locator("iframe.pdf")
                assert frame.is_visible()
                lines_box = page.get_by_test_id("lines").bounding_box()
                assert frame.bounding_box()["x"] > lines_box["x"]  # beside the data, not under it
            else:
                assert sideways(page) <= 0, sideways(page)
            browse.shot(f"task-{lang}-{width}")
            page.get_by_test_id("duplicate-link").first.click()
            page.wait_for_url("**/invoices/*")
            assert page.get_by_test_id("invoice-number").inner_text() == number
            assert words["no_pdf"] in page.get_by_test_id("pdf-problem").inner_text()
            if width == 390:
                assert sideways(page) <= 0, sideways(page)
            browse.shot(f"earlier-{lang}-{width}")
