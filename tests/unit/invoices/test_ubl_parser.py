"""parse_invoice reads the fields the workflow needs from real Peppol, SI-UBL and UBL 2.1 files."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from server.invoices.safexml import DocumentError
from server.invoices.ubl import parse_invoice
from server.invoices.ubl_types import Identifier
from tests.unit.invoices.conftest import UBL_CORPUS, corpus_bytes, expected_rows

PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"


def test_peppol_invoice_header_and_parties():
    invoice = parse_invoice(corpus_bytes("valid/base-example.xml"))
    assert (invoice.document_type, invoice.id, invoice.type_code) == ("Invoice", "Snippet1", "380")
    assert invoice.issue_date == dt.date(2017, 11, 13)
    assert invoice.due_date == dt.date(2017, 12, 1)
    assert (invoice.currency, invoice.buyer_reference) == ("EUR", "0150abc")
    assert invoice.customization_id == PEPPOL
    assert invoice.profile_id == "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
    supplier = invoice.supplier
    assert supplier.name == "SupplierTradingName Ltd."
    assert supplier.registration_name == "SupplierOfficialName Ltd"
    assert supplier.endpoint == Identifier("9482348239847239874", "0088")
    assert supplier.identifiers == (Identifier("99887766", None),)
    assert supplier.legal_id == Identifier("GB983294", None)
    assert supplier.vat_id == "GB1232434"
    assert (supplier.address.street, supplier.address.city) == ("Main street 1", "London")
    assert (supplier.address.postal_code, supplier.address.country) == ("GB 123 EW", "GB")
    customer = invoice.customer
    assert customer.legal_id == Identifier("39937423947", "0183")
    assert customer.identifiers == (Identifier("FR23342", "0002"),)
    assert (customer.contact.name, customer.contact.email, customer.contact.phone) == (
        "Lisa Johnson",
        "lj@buyer.se",
        "23434234",
    )


def test_peppol_invoice_payment_charges_taxes_totals_and_lines():
    invoice = parse_invoice(corpus_bytes("valid/base-example.xml"))
    (means,) = invoice.payment_means
    assert (means.code, means.iban, means.bic, means.payment_id) == ("30", "IBAN32423940", "BIC324098", "Snippet1")
    assert invoice.iban == "IBAN32423940"
    (charge,) = invoice.allowance_charges
    assert charge.is_charge and charge.reason == "Insurance"
    assert (charge.amount, charge.tax_category, charge.tax_percent) == (Decimal(25), "S", Decimal("25.0"))
    (tax,) = invoice.tax_totals
    assert (tax.amount, tax.currency) == (Decimal("331.25"), "EUR")
    assert [(s.taxable_amount, s.tax_amount, s.category) for s in tax.subtotals] == [
        (Decimal(1325), Decimal("331.25"), "S")
    ]
    assert invoice.tax_amount == Decimal("331.25")
    totals = invoice.totals
    assert (totals.line_extension, totals.tax_exclusive, totals.tax_inclusive) == (
        Decimal(1300),
        Decimal(1325),
        Decimal("1656.25"),
    )
    assert (totals.charge_total, totals.payable, totals.allowance_total) == (Decimal(25), Decimal("1656.25"), None)
    first, second = invoice.lines
    assert (first.id, first.quantity, first.unit_code, first.net_amount) == ("1", Decimal(7), "DAY", Decimal(2800))
    assert (first.item_name, first.order_line_reference, first.price.amount) == ("item name", "123", Decimal(400))
    assert first.standard_item_id == Identifier("21382183120983", "0088")
    assert (second.quantity, second.net_amount, second.price.amount) == (Decimal(-3), Decimal(-1500), Decimal(500))


def test_credit_note_lines_and_billing_reference():
    note = parse_invoice(corpus_bytes("valid/base-creditnote-correction.xml"))
    assert (note.document_type, note.id, note.type_code) == ("CreditNote", "Snippet1", "381")
    assert note.billing_references == ("Snippet1",)
    assert note.due_date is None
    assert (note.lines[0].quantity, note.lines[0].unit_code) == (Decimal(7), "DAY")
    assert note.totals.payable == Decimal("1656.25")


def test_credit_note_due_date_comes_from_payment_means():
    data = corpus_bytes("valid/base-creditnote-correction.xml").replace(
        b'<cbc:PaymentMeansCode name="Credit transfer">30</cbc:PaymentMeansCode>',
        b'<cbc:PaymentMeansCode name="Credit transfer">30</cbc:PaymentMeansCode>'
        b"<cbc:PaymentDueDate>2017-12-20</cbc:PaymentDueDate>",
    )
    assert parse_invoice(data).due_date == dt.date(2017, 12, 20)


def test_invoice_without_due_date_element_falls_back_to_payment_means():
    invoice = parse_invoice(corpus_bytes("non-cius/UBL-Invoice-2.1-Example.xml"))
    assert invoice.due_date == dt.date(2009, 12, 31)
    # Plain UBL 2.1 puts the BIC on the financial institution inside the branch.
    assert (invoice.iban, invoice.payment_means[0].bic) == ("DK1212341234123412", "DKDKABCD")


def test_si_ubl_invoice_dutch_fields():
    invoice = parse_invoice(corpus_bytes("valid/SI-UBL-2.0_ok_base.xml"))
    assert (invoice.order_reference, invoice.buyer_reference) == ("47806", "47806")
    assert invoice.supplier.name is None and invoice.supplier.display_name == "SimplerInvoicing"
    assert invoice.supplier.legal_id == Identifier("SITEST00000", "0106")
    assert invoice.supplier.vat_id == "NL1111.11.111.B.01"
    assert invoice.supplier.address.postal_code == "1111 ZZ"
    assert [m.iban for m in invoice.payment_means] == ["NL11 BANK 1111111111", "NL11 BANK 1111111112"]
    assert invoice.payment_means[0].payment_id == "Deb. 10202 / Fact. 12115118"
    assert invoice.customer.identifiers == (Identifier("10202", None),)
    line = invoice.lines[0]
    assert (line.seller_item_id, line.quantity, line.unit_code) == ("166022", Decimal(4), "C62")
    assert (line.net_amount, line.price.amount, line.tax_percent) == (Decimal("200.00"), Decimal("50.00"), Decimal(21))
    assert invoice.notes[0].startswith("Alle leveringen zijn franco.")


def test_embedded_pdf_is_decoded_with_name_and_type():
    invoice = parse_invoice(corpus_bytes("valid/ubl-tc434-example2.xml"))
    pdf = next(a for a in invoice.attachments if a.content is not None)
    assert (pdf.filename, pdf.mime_type, pdf.content) == ("test.pdf", "application/pdf", b"Testing Base64 encoding")
    full = parse_invoice(corpus_bytes("valid/SI-UBL-2.0_ok_full.xml"))
    external, drawing = full.attachments
    assert (external.id, external.uri, external.content) == ("Doc1", "http://www.suppliersite.eu/sheet001.html", None)
    assert (drawing.id, drawing.filename, drawing.size) == ("Doc2", "drawing.pdf", 36)


def test_to_dict_is_json_safe_and_keeps_attachment_size_not_bytes():
    data = parse_invoice(corpus_bytes("valid/ubl-tc434-example2.xml")).to_dict()
    encoded = json.loads(json.dumps(data))
    assert encoded["issue_date"] == "2013-06-30"
    assert encoded["totals"]["payable"] == "801.78"
    attachment = next(a for a in encoded["attachments"] if a["filename"] == "test.pdf")
    assert attachment["size"] == 23 and "content" not in attachment


def test_broken_amount_is_an_invalid_value():
    data = corpus_bytes("valid/base-example.xml").replace(
        b'<cbc:PayableAmount currencyID="EUR">1656.25<', b'<cbc:PayableAmount currencyID="EUR">12,50<'
    )
    with pytest.raises(DocumentError) as info:
        parse_invoice(data)
    assert info.value.code == "invalid_value" and "PayableAmount" in info.value.message


@pytest.mark.parametrize(
    "row", [r for r in expected_rows() if r["root"] in ("Invoice", "CreditNote")], ids=lambda r: r["file"]
)
def test_every_corpus_invoice_parses(row):
    invoice = parse_invoice((UBL_CORPUS / row["file"]).read_bytes())
    assert invoice.document_type == row["root"]
    assert (invoice.customization_id or "") == row["CustomizationID"]
    assert invoice.id and invoice.lines
    json.dumps(invoice.to_dict())


def test_a_large_embedded_pdf_within_the_document_limit_is_read():
    """A 12 MB PDF is 16 MB of base64 in one text node, past libxml2's default 10 MB cap."""
    import base64

    pdf = b"%PDF-1.7\n" + bytes(range(256)) * (12 * 4096)
    reference = (b"<cac:AdditionalDocumentReference><cbc:ID>scan</cbc:ID><cac:Attachment>"
                 b'<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="scan.pdf">'
                 + base64.b64encode(pdf) + b"</cbc:EmbeddedDocumentBinaryObject></cac:Attachment>"
                 b"</cac:AdditionalDocumentReference>")
    xml = corpus_bytes("valid/base-example.xml").replace(b"<cac:AccountingSupplierParty>",
                                                         reference + b"<cac:AccountingSupplierParty>", 1)
    assert 16_000_000 < len(xml) < 20 * 1024 * 1024
    [attachment] = [a for a in parse_invoice(xml).attachments if a.filename == "scan.pdf"]
    assert attachment.content == pdf and attachment.mime_type == "application/pdf"
