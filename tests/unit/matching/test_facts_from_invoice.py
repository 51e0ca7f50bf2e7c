"""The matching facts read from parsed UBL: what the matcher sees of a real invoice."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from server.invoices.facts import LineFacts, facts_from_invoice
from server.invoices.ubl import parse_invoice


def test_corpus_base_example_gives_parties_payment_account_and_lines(corpus: Path) -> None:
    facts = facts_from_invoice(parse_invoice((corpus / "ubl" / "valid" / "base-example.xml").read_bytes()))
    assert (facts.number, facts.issue_date, facts.due_date, facts.currency) == (
        "Snippet1", dt.date(2017, 11, 13), dt.date(2017, 12, 1), "EUR"
    )
    assert facts.payable_amount == Decimal("1656.25")
    supplier = facts.supplier
    assert supplier.names == ("SupplierTradingName Ltd.", "SupplierOfficialName Ltd")
    assert supplier.identifiers == (("", "GB983294"), ("0088", "9482348239847239874"), ("", "99887766"))
    assert (supplier.vat_id, supplier.ibans, supplier.postal_code, supplier.city) == (
        "GB1232434", ("IBAN32423940",), "GB 123 EW", "London"
    )
    customer = facts.customer
    assert customer.names == ("BuyerTradingName AS", "Buyer Official Name")
    assert ("0183", "39937423947") in customer.identifiers and customer.city == "Stockholm"
    assert facts.order_reference is None
    assert facts.lines[0] == LineFacts(
        id="1", quantity=Decimal(7), net_amount=Decimal(2800), unit_price=Decimal(400), item_name="item name",
        seller_item_id=None, order_line_reference="123",
    )  # fmt: skip
    assert facts.lines[1].quantity == Decimal(-3) and facts.lines[1].net_amount == Decimal(-1500)


def test_price_per_base_quantity_becomes_a_unit_price(corpus: Path) -> None:
    xml = (corpus / "ubl" / "valid" / "base-example.xml").read_bytes().replace(
        b'<cbc:PriceAmount currencyID="EUR">400</cbc:PriceAmount>',
        b'<cbc:PriceAmount currencyID="EUR">4000</cbc:PriceAmount><cbc:BaseQuantity unitCode="DAY">10</cbc:BaseQuantity>',
    )
    assert facts_from_invoice(parse_invoice(xml)).lines[0].unit_price == Decimal(400)


def test_demo_invoice_cites_its_order_and_order_lines() -> None:
    path = Path(__file__).resolve().parents[2] / "data" / "invoices" / "auto_approve_exact.xml"
    facts = facts_from_invoice(parse_invoice(path.read_bytes()))
    assert facts.order_reference == "6001001"
    assert [(line.order_line_reference, line.seller_item_id) for line in facts.lines] == [("1", "PAP-A4"),
                                                                                          ("2", "TON-ZW")]
    assert ("0106", "12345678") in facts.supplier.identifiers and facts.supplier.ibans == ("NL91ABNA0417164300",)
