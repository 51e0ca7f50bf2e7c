"""Hostile or wrong input is refused with a clear DocumentError code before anything else runs."""
from __future__ import annotations

import pytest
from lxml import etree

from server.invoices import safexml
from server.invoices.safexml import DocumentError, safe_parse, sniff
from server.invoices.ubl import parse_invoice
from server.invoices.validation import validate
from tests.unit.invoices.conftest import DATA, corpus_bytes

INVOICE_OPEN = (
    b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
)


def code_of(xml: bytes, **limits: int) -> str:
    with pytest.raises(DocumentError) as info:
        parse_invoice(xml, **limits)
    return info.value.code


def test_xxe_document_is_refused_and_the_entity_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (DATA / "xxe.xml").read_bytes().replace(b"file:///etc/passwd", secret.as_uri().encode())
    assert code_of(xxe) == "doctype_forbidden"
    # Even the raw hardened parser, before the DOCTYPE check, leaves the entity unexpanded.
    root = etree.fromstring(xxe, safexml._build_parser())
    assert b"TOP-SECRET" not in etree.tostring(root)


def test_billion_laughs_is_refused_without_expansion():
    data = (DATA / "billion-laughs.xml").read_bytes()
    assert code_of(data) == "doctype_forbidden"
    # Behind the DOCTYPE check, the hardened parser itself stops the bomb instead of expanding it.
    with pytest.raises(etree.XMLSyntaxError, match="amplification"):
        etree.fromstring(data, safexml._build_parser())


def test_sixty_megabyte_document_is_too_large():
    huge = INVOICE_OPEN + b"<cbc:Note>" + b"x" * (60 * 1024 * 1024) + b"</cbc:Note></Invoice>"
    assert code_of(huge) == "too_large"


def test_the_size_limit_is_configurable():
    small = corpus_bytes("valid/base-example.xml")
    assert code_of(small, max_bytes=1000) == "too_large"


@pytest.mark.parametrize("body", [b"", b"   \n"])
def test_empty_body_is_refused(body):
    assert code_of(body) == "empty"


def test_pdf_posted_as_xml_is_not_xml():
    assert code_of((DATA / "not-xml.pdf").read_bytes()) == "not_xml"


def test_ubl_order_is_not_an_invoice_and_says_what_it_is():
    with pytest.raises(DocumentError) as info:
        parse_invoice((DATA / "order.xml").read_bytes())
    assert info.value.code == "not_an_invoice"
    assert "Order" in info.value.message


def test_xml_that_is_not_ubl_is_refused():
    assert code_of(b"<html><body>hello</body></html>") == "not_ubl"


def test_deeply_nested_document_is_refused():
    deep = INVOICE_OPEN + b"<cbc:Note>" * 100 + b"</cbc:Note>" * 100 + b"</Invoice>"
    assert code_of(deep) == "too_deep"


def test_element_count_limit():
    with pytest.raises(DocumentError) as info:
        safe_parse(corpus_bytes("valid/base-example.xml"), max_elements=50)
    assert info.value.code == "too_many_elements"


def test_document_error_is_invalid_input_for_the_api_edge():
    from server.errors import InvalidInput

    assert issubclass(DocumentError, InvalidInput)


@pytest.mark.parametrize(
    ("name", "code"),
    [("xxe.xml", "doctype_forbidden"), ("billion-laughs.xml", "doctype_forbidden"), ("not-xml.pdf", "not_xml")],
)
def test_validation_reports_the_same_refusals_as_findings(name, code):
    report = validate((DATA / name).read_bytes())
    assert not report.accepted
    assert [f.rule for f in report.errors] == [code]


def test_validation_of_an_order_is_refused_in_every_mode():
    for mode in ("enforce", "warn", "off"):
        report = validate((DATA / "order.xml").read_bytes(), mode=mode)
        assert not report.accepted
        assert report.document_type == "Order"
        assert report.errors[0].rule == "not_an_invoice"


def test_sniff_tells_type_and_customization_without_parsing_everything():
    assert sniff(corpus_bytes("valid/base-creditnote-correction.xml")) == (
        "CreditNote",
        "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0",
    )
    assert sniff(corpus_bytes("non-cius/UBL-Invoice-2.1-Example.xml")) == ("Invoice", "")
    assert sniff((DATA / "order.xml").read_bytes()).document_type == "Order"
    # Only the start is read: a document broken after the CustomizationID still sniffs.
    broken_tail = corpus_bytes("valid/base-example.xml")[:2000]
    assert sniff(broken_tail).document_type == "Invoice"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ((DATA / "xxe.xml").read_bytes(), "doctype_forbidden"),
        ((DATA / "not-xml.pdf").read_bytes(), "not_xml"),
        (b"<html/>", "not_ubl"),
        (b"", "empty"),
    ],
)
def test_sniff_refuses_what_parsing_refuses(data, code):
    with pytest.raises(DocumentError) as info:
        sniff(data)
    assert info.value.code == code


@pytest.mark.parametrize(
    "prolog",
    [
        b"<!DOCTYPE Invoice>",
        b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?>\n<!-- sent by X -->\n<?pi data?>\n<!DOCTYPE Invoice>',
    ],
)
def test_any_doctype_is_refused_even_without_entities(prolog):
    body = corpus_bytes("valid/base-example.xml").split(b"?>", 1)[1]
    assert code_of(prolog + body) == "doctype_forbidden"


def test_the_word_doctype_inside_a_comment_is_harmless():
    data = corpus_bytes("valid/base-example.xml").replace(b"?>", b"?><!-- <!DOCTYPE x> -->", 1)
    assert parse_invoice(data).id == "Snippet1"
