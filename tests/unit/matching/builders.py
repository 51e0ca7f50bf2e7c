"""A small, fully matching scenario (one supplier, one administration, one order) and ways to vary it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from server.invoices.facts import InvoiceFacts, LineFacts, PartyFacts
from server.masterdata.records import (
    AdministrationRecord,
    BankAccountRecord,
    MasterData,
    OrderLineRecord,
    OrderRecord,
    ReceiptRecord,
    RuleRecord,
    SupplierRecord,
)

TODAY = dt.date(2026, 3, 1)
PREFERRED_IBAN = "NL91ABNA0417164300"
OTHER_KNOWN_IBAN = "NL44RABO0123456789"
UNKNOWN_IBAN = "NL20INGB0001234567"

JANSEN = SupplierRecord(
    id=1,
    code="S001",
    name="Jansen Kantoorartikelen B.V.",
    normalised_name="jansen kantoorartikelen",
    postal_code="3511AB",
    city="Utrecht",
    country="NL",
    identifiers=(("0106", "12345678"), ("VAT", "NL123456789B01")),
    bank_accounts=(BankAccountRecord(PREFERRED_IBAN, preferred=True), BankAccountRecord(OTHER_KNOWN_IBAN)),
)
PIETERS = SupplierRecord(
    id=2,
    code="S002",
    name="Pieters Transport",
    normalised_name="pieters transport",
    postal_code="9712CD",
    city="Groningen",
    identifiers=(("0106", "23456789"),),
    bank_accounts=(BankAccountRecord("NL02ABNA0123456789", preferred=True),),
)
STROOM = AdministrationRecord(
    id=10,
    code="A01",
    name="Stroom Demo B.V.",
    normalised_name="stroom demo",
    city="Amsterdam",
    identifiers=(("0106", "87654321"), ("VAT", "NL876543210B01")),
)
BRANCH = AdministrationRecord(
    id=11, code="A02", name="Stroom Noord B.V.", normalised_name="stroom noord", city="Groningen"
)


def order_line(
    number: str,
    quantity: str,
    price: str,
    *,
    received: tuple[str, ...] = (),
    handled: bool = False,
    item: str | None = None,
) -> OrderLineRecord:
    line_id = 100 + int(number)
    receipts = tuple(ReceiptRecord(id=line_id * 10 + i, quantity=Decimal(q)) for i, q in enumerate(received))
    return OrderLineRecord(
        id=line_id,
        line_number=number,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        item_id=item,
        ledger_account="7000",
        matching_handled=handled,
        receipts=receipts,
    )


ORDER = OrderRecord(
    id=50,
    number="6001001",
    supplier_id=1,
    administration_id=10,
    lines=(order_line("1", "10", "5.00", received=("10",)), order_line("2", "2", "20.00", received=("2",))),
)
RULES = (
    RuleRecord(id=1, pattern="vracht", ledger_account="4500", supplier_id=1),
    RuleRecord(id=2, pattern=r"^advies\b", ledger_account="4600", is_regex=True, review_via_workflow=True),
)
MASTERDATA = MasterData(
    suppliers=(JANSEN, PIETERS), administrations=(STROOM, BRANCH), orders=(ORDER,), rules=RULES
)


def line(
    line_id: str, quantity: str, net: str, name: str, *, ref: str | None = None, item: str | None = None
) -> LineFacts:
    return LineFacts(
        id=line_id,
        quantity=Decimal(quantity),
        net_amount=Decimal(net),
        unit_price=Decimal(net) / Decimal(quantity),
        item_name=name,
        seller_item_id=item,
        order_line_reference=ref,
    )


INVOICE = InvoiceFacts(
    number="F2026-001",
    payable_amount=Decimal("108.90"),
    issue_date=dt.date(2026, 2, 20),
    due_date=dt.date(2026, 3, 21),
    supplier=PartyFacts(
        names=("JANSEN KANTOORARTIKELEN BV",),
        identifiers=(("0106", "12345678"),),
        vat_id="NL123456789B01",
        ibans=("NL91 ABNA 0417 1643 00",),
        postal_code="3511 ab",
        city="Utrecht",
    ),
    customer=PartyFacts(
        names=("Stroom Demo B.V.",),
        identifiers=(("0106", "87654321"),),
        vat_id="NL876543210B01",
        city="Amsterdam",
    ),
    order_reference="6001001",
    lines=(line("1", "10", "50.00", "Papier A4", ref="1"), line("2", "2", "40.00", "Toner zwart", ref="2")),
)


def supplier_party(**changes: object) -> PartyFacts:
    return dataclasses.replace(INVOICE.supplier, **changes)  # type: ignore[arg-type]


def customer_party(**changes: object) -> PartyFacts:
    return dataclasses.replace(INVOICE.customer, **changes)  # type: ignore[arg-type]


def with_order_lines(*lines: OrderLineRecord, status: str = "released") -> MasterData:
    order = dataclasses.replace(ORDER, lines=lines, status=status)
    return dataclasses.replace(MASTERDATA, orders=(order,))
