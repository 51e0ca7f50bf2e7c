"""The parts of the approver's invoice view, built without a database from the demo invoices and master data:
lines beside the order and its receipts, both bank accounts, VAT per rate, the look-alike side by side,
whether the PDF can be shown, the tolerance the table allows, and the JSON the API answers."""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

from server.demo_data import demo_invoice_paths, demo_snapshot
from server.decisions.cells import rule_cells
from server.invoices.comparison import compare_bank, compare_lines, vat_breakdown
from server.invoices.facts import facts_from_invoice
from server.invoices.matching import MatchResult, match
from server.invoices.models import Invoice
from server.invoices.ubl import parse_invoice
from server.invoices.ubl_types import Attachment
from server.invoices.ubl_types import Invoice as ParsedInvoice
from server.operations.invoice_parts import InvoiceReview, Tolerance, attachment_views, duplicate_view

SAMPLES = {p.name: p for p in demo_invoice_paths()}
DMN = Path(__file__).resolve().parents[3] / "dmn" / "invoice_approval.dmn"
TODAY = dt.date(2026, 3, 10)


def matched(name: str, *, currency: str = "EUR") -> tuple[ParsedInvoice, MatchResult]:
    xml = SAMPLES[name].read_text("utf-8").replace('currencyID="EUR"', f'currencyID="{currency}"')
    xml = xml.replace(">EUR<", f">{currency}<")
    parsed = parse_invoice(xml.encode())
    return parsed, match(facts_from_invoice(parsed), demo_snapshot(), today=TODAY)


def test_a_price_above_the_order_shows_beside_the_order_line_and_receipt_with_its_difference() -> None:
    parsed, result = matched("matching_difference.xml")
    first, second = compare_lines(parsed, demo_snapshot(), result)
    assert (first.via, first.order_number, first.order_line) == ("order", "6001003", "1")
    assert (first.quantity, first.ordered_quantity, first.received_quantity) == (Decimal(10), Decimal(10), Decimal(10))
    assert (first.price, first.order_price) == (Decimal("72.00"), Decimal("65.00"))
    assert (first.amount, first.expected_amount, first.difference) == (Decimal("720.00"), Decimal("650.00"),
                                                                     Decimal("70.00"))
    assert first.price_differs and not first.quantity_differs and not first.over_ordered and first.differs
    assert first.receipts == ("GR-5003 2026-03-02",)
    assert second.via == "rule" and second.order_number is None and not second.differs  # the advice line


def test_an_exact_invoice_has_no_difference_and_a_short_receipt_says_so() -> None:
    parsed, result = matched("auto_approve_exact.xml")
    assert not any(line.differs for line in compare_lines(parsed, demo_snapshot(), result))
    parsed, result = matched("auto_approve_small_difference.xml")  # 200 m invoiced, 199 m received
    (line,) = compare_lines(parsed, demo_snapshot(), result)
    assert line.quantity_differs and not line.price_differs and line.difference == Decimal("10.00")


def test_the_invoice_iban_stands_beside_the_suppliers_preferred_one() -> None:
    parsed, result = matched("preferred_bank_differs.xml")
    bank = compare_bank(parsed, demo_snapshot(), result)
    assert bank.invoice_ibans == ("NL16BUNQ2034567890",) and bank.preferred_iban == "NL02ABNA0123456789"
    assert bank.differs and bank.on_file and bank.supplier_code == "S002"
    parsed, result = matched("unknown_bank_account.xml")
    bank = compare_bank(parsed, demo_snapshot(), result)
    assert bank.differs and not bank.on_file
    parsed, result = matched("auto_approve_exact.xml")
    assert not compare_bank(parsed, demo_snapshot(), result).differs


def test_the_vat_breakdown_is_per_category_and_rate_in_the_document_currency() -> None:
    parsed, _ = matched("matching_difference.xml", currency="NOK")
    (row,) = vat_breakdown(parsed)
    assert parsed.currency == "NOK"
    assert (row.category, row.percent, row.taxable_amount, row.tax_amount) == (
        "S", Decimal(21), Decimal("1070.00"), Decimal("224.70"))


def test_a_look_alike_is_compared_by_number_amount_date_and_lines() -> None:
    parsed, _ = matched("possible_duplicate.xml")
    mine = Invoice(id=2, number=" inv-1 ", payable_amount=Decimal("100.00"), issue_date=dt.date(2026, 3, 10),
                   currency="NOK", supplier_name="Jansen", status="received", data=parsed.to_dict())
    earlier = Invoice(id=1, number="INV-1", payable_amount=Decimal("100.00"), issue_date=dt.date(2026, 2, 16),
                      currency="NOK", supplier_name="Jansen", status="approved", instance_id=7,
                      data={"lines": [{"id": "1", "item_name": "Papier", "quantity": "2",
                                       "price": {"amount": "50.00"}, "net_amount": "100.00"}]})
    view = duplicate_view(earlier, mine)
    assert view.same_number and not view.same_amount_and_date and view.currency == "NOK"
    assert view.lines[0].item == "Papier" and view.lines[0].amount == Decimal("100.00")


def test_only_a_real_pdf_is_shown_and_otherwise_the_reader_is_told_why() -> None:
    pdf = Attachment(id="a", mime_type="application/pdf", content=b"%PDF-1.4 ...", filename="inv.pdf")
    fake = Attachment(id="b", mime_type="application/pdf", content=b"<html>not a pdf</html>")
    image = Attachment(id="c", mime_type="image/png", content=b"\x89PNG")
    assert [v.problem for v in attachment_views([pdf, fake, image])] == [None, "bad_pdf", "not_pdf"]
    assert [v.number for v in attachment_views([pdf, fake, image])] == [1, 2, 3]
    base = review()
    assert base.pdf_problem == "no_attachment"
    assert dataclasses.replace(base, attachments=attachment_views([image])).pdf_problem == "no_pdf"
    assert dataclasses.replace(base, attachments=attachment_views([fake, image])).pdf_problem == "bad_pdf"
    assert dataclasses.replace(base, attachments=attachment_views([image, pdf])).pdf_problem is None


def test_the_tolerance_is_read_from_the_rule_that_approves_automatically() -> None:
    rules = rule_cells(DMN.read_bytes(), decision_id="invoice_approval")
    automatic = [r for r in rules if r.outputs.get("auto_approve") == "true"]
    bands = [(r.annotation, r.inputs["confrontation_difference_pct"]) for r in automatic
             if r.inputs["confrontation_difference_pct"] != "-"]
    assert bands == [("Auto-approve, confrontation difference < 1%", "< 1")]
    assert rule_cells(b"<not-dmn/>", decision_id="invoice_approval") == ()
    assert rule_cells(b"<broken", decision_id="x") == ()


def test_the_review_answers_json_with_amounts_as_text_and_differences_marked() -> None:
    parsed, result = matched("matching_difference.xml")
    body = dataclasses.replace(review(), lines=compare_lines(parsed, demo_snapshot(), result),
                               bank=compare_bank(parsed, demo_snapshot(), result), vat=vat_breakdown(parsed),
                               tolerances=(Tolerance("confrontation_difference_pct", "< 1", "Auto"),)).to_json()
    assert body["lines"][0]["differs"] is True and body["lines"][0]["difference"] == "70.00"
    assert body["bank"]["differs"] is False and body["vat"][0]["taxable_amount"] == "1070.00"
    assert body["pdf_problem"] == "no_attachment" and body["issue_date"] == "2026-03-04"
    assert body["tolerances"] == [{"input": "confrontation_difference_pct", "test": "< 1", "annotation": "Auto"}]


def review() -> InvoiceReview:
    return InvoiceReview(
        id=1, number="DVI-2026-031", document_type="Invoice", status="received", currency="EUR",
        issue_date=dt.date(2026, 3, 4), due_date=dt.date(2026, 4, 3), days_until_due=-3, supplier_name="De Vries",
        customer_name="Stroom Demo B.V.", order_reference="6001003", contact_email=None,
        payable_amount=Decimal("1294.70"), instance_id=None, totals={}, lines=(), bank=None, duplicates=(),
        possible_duplicate=False, vat=(), vat_total=None, difference_amount=None, difference_pct=None,
        tolerances=(), attachments=(), why=(), timeline=(), asked=(), acted=(), collection={})
