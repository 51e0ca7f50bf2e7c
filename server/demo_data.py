"""Demo master data that makes every row of the default decision table reachable with a shipped invoice.

The sample invoices are in `server/demo_invoices/` (made by tests/data/invoices/make_samples.py):

| invoice                              | row of dmn/invoice_approval.dmn              | why                                   |
| ------------------------------------ | -------------------------------------------- | ------------------------------------- |
| auto_approve_exact.xml               | auto-approve, no match difference            | 6001001 ordered, received, invoiced   |
| auto_approve_small_difference.xml    | auto-approve, confrontation difference < 1%  | 200 m invoiced, 199 m received        |
| matching_difference.xml              | matching difference -> purchasing            | price above order, advice for review  |
| preferred_bank_differs.xml           | preferred bank account differs -> creditors  | Pieters' second (known) account       |
| unknown_bank_account.xml             | no match on supplier bank account            | an IBAN not on file                   |
| unknown_administration.xml           | no match on administration name              | "Stroom Holding B.V.", manual line    |
| possible_duplicate.xml               | possible duplicate -> creditors              | same number as ..._original.xml       |
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from server.masterdata import service
from server.masterdata.inputs import (
    AdministrationInput,
    BankAccountInput,
    OrderInput,
    OrderLineInput,
    ReceiptInput,
    RuleInput,
    SupplierInput,
    TrustedSenderInput,
)
from server.masterdata.normalise import (
    normalise_iban,
    normalise_identifier,
    normalise_name,
    normalise_postal_code,
)
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

SUPPLIERS = (
    SupplierInput("S001", "Jansen Kantoorartikelen B.V.", "Oudegracht 1", None, "3511 AB", "Utrecht", "NL",
                  "facturen@jansen.example", "nl", (("0106", "12345678"), ("VAT", "NL123456789B01"))),
    SupplierInput("S002", "Pieters Transport B.V.", "Grote Markt 2", None, "9712 CD", "Groningen", "NL",
                  "administratie@pieters.example", "nl", (("0106", "23456789"), ("VAT", "NL234567890B01"))),
    SupplierInput("S003", "De Vries Installatietechniek B.V.", "Coolsingel 3", None, "3012 AA", "Rotterdam", "NL",
                  "debiteuren@devries.example", "nl", (("0106", "34567890"), ("VAT", "NL345678901B01"))),
)  # fmt: skip
BANK_ACCOUNTS = (
    BankAccountInput("S001", "NL91ABNA0417164300", "ABNANL2A", preferred=True),
    BankAccountInput("S001", "NL44RABO0123456789", "RABONL2U"),
    BankAccountInput("S002", "NL02ABNA0123456789", "ABNANL2A", preferred=True),
    BankAccountInput("S002", "NL16BUNQ2034567890", "BUNQNL2A"),
    BankAccountInput("S003", "NL20INGB0001234567", "INGBNL2A", preferred=True),
)
ADMINISTRATIONS = (
    AdministrationInput("A01", "Stroom Demo B.V.", "Amsterdam", (("0106", "87654321"), ("VAT", "NL876543210B01"))),
    AdministrationInput("A02", "Stroom Noord B.V.", "Groningen", (("0106", "98765432"),)),
)
ORDERS = (
    OrderInput("6001001", "S001", "A01"),
    OrderInput("6001002", "S001", "A01"),
    OrderInput("6001003", "S003", "A01"),
    OrderInput("6001004", "S002", "A02", status="blocked"),
)
ORDER_LINES = (
    OrderLineInput("6001001", "1", Decimal(100), Decimal("4.50"), "PAP-A4", "Papier A4, 500 vel", "7000"),
    OrderLineInput("6001001", "2", Decimal(4), Decimal("62.00"), "TON-ZW", "Toner zwart", "7000"),
    OrderLineInput("6001002", "1", Decimal(200), Decimal("10.00"), "KG-60", "Kabelgoot 60 mm per meter", "7100"),
    OrderLineInput("6001003", "1", Decimal(10), Decimal("65.00"), "INST-UUR", "Installatie per uur", "7200"),
    OrderLineInput("6001004", "1", Decimal(12), Decimal("250.00"), None, "Transport per rit", "4510"),
)
RECEIPTS = (
    ReceiptInput("6001001", "1", "GR-5001", Decimal(100), dt.date(2026, 2, 26)),
    ReceiptInput("6001001", "2", "GR-5001", Decimal(4), dt.date(2026, 2, 26)),
    ReceiptInput("6001002", "1", "GR-5002", Decimal(199), dt.date(2026, 2, 27)),
    ReceiptInput("6001003", "1", "GR-5003", Decimal(10), dt.date(2026, 3, 2)),
)
RULES = (
    RuleInput("vracht", "4500", supplier_code="S001"),
    RuleInput("transport", "4510", supplier_code="S002"),
    RuleInput(r"^advies\b", "4600", is_regex=True, review_via_workflow=True),
)
TRUSTED_SENDERS = (TrustedSenderInput("facturen@jansen.example", "demo"),)
INVOICES = (
    "auto_approve_exact.xml",
    "auto_approve_small_difference.xml",
    "matching_difference.xml",
    "preferred_bank_differs.xml",
    "unknown_bank_account.xml",
    "unknown_administration.xml",
    "possible_duplicate_original.xml",
    "possible_duplicate.xml",
)


def load_demo(session: Session, *, environment_id: int) -> None:
    """Create or update the demo master data in the environment (running it twice changes nothing)."""
    steps: tuple[tuple[Sequence[Any], Callable[..., Any]], ...] = (
        (SUPPLIERS, service.save_supplier), (BANK_ACCOUNTS, service.save_bank_account),
        (ADMINISTRATIONS, service.save_administration), (ORDERS, service.save_order),
        (ORDER_LINES, service.save_order_line), (RECEIPTS, service.save_receipt), (RULES, service.save_rule),
    )  # fmt: skip
    for inputs, save in steps:
        for data in inputs:
            save(session, data, environment_id=environment_id)
    for sender in TRUSTED_SENDERS:
        if not service.is_trusted_sender(session, sender.email, environment_id=environment_id):
            service.create_trusted_sender(session, sender, environment_id=environment_id)
    session.flush()


def demo_invoice_paths() -> list[Path]:
    """The shipped sample invoices, oldest first (the duplicate's original before the duplicate)."""
    folder = resources.files("server") / "demo_invoices"
    return [Path(str(folder / name)) for name in INVOICES]


def demo_snapshot() -> MasterData:
    """The demo master data as plain records (ids numbered from 1 per kind), without a database."""
    supplier_ids = {s.code: i for i, s in enumerate(SUPPLIERS, start=1)}
    suppliers = tuple(
        SupplierRecord(
            id=supplier_ids[s.code], code=s.code, name=s.name, normalised_name=normalise_name(s.name),
            postal_code=normalise_postal_code(s.postal_code), city=s.city or "", country=s.country or "",
            identifiers=tuple(normalise_identifier(*pair) for pair in s.identifiers),
            bank_accounts=tuple(BankAccountRecord(normalise_iban(a.iban), a.preferred, a.bic)
                                for a in BANK_ACCOUNTS if a.supplier_code == s.code),
        )
        for s in SUPPLIERS
    )  # fmt: skip
    admin_ids = {a.code: i for i, a in enumerate(ADMINISTRATIONS, start=1)}
    administrations = tuple(
        AdministrationRecord(admin_ids[a.code], a.code, a.name, normalise_name(a.name), a.city or "",
                             tuple(normalise_identifier(*pair) for pair in a.identifiers))
        for a in ADMINISTRATIONS
    )  # fmt: skip
    rules = tuple(
        RuleRecord(i, r.pattern, r.ledger_account, supplier_ids.get(r.supplier_code or ""), r.is_regex,
                   r.review_via_workflow)
        for i, r in enumerate(RULES, start=1)
    )  # fmt: skip
    return MasterData(suppliers, administrations, _order_records(supplier_ids, admin_ids), rules)


def _order_records(supplier_ids: dict[str, int], admin_ids: dict[str, int]) -> tuple[OrderRecord, ...]:
    line_ids, receipt_ids = itertools.count(1), itertools.count(1)
    orders = []
    for order_id, order in enumerate(ORDERS, start=1):
        lines = tuple(
            OrderLineRecord(
                id=next(line_ids), line_number=ol.line_number, quantity=ol.quantity, unit_price=ol.unit_price,
                item_id=ol.item_id, description=ol.description, ledger_account=ol.ledger_account,
                matching_handled=ol.matching_handled,
                receipts=tuple(ReceiptRecord(next(receipt_ids), r.quantity, r.received_on, r.reference)
                               for r in RECEIPTS if (r.order_number, r.line_number) == (order.number, ol.line_number)),
            )
            for ol in ORDER_LINES if ol.order_number == order.number
        )  # fmt: skip
        orders.append(OrderRecord(order_id, order.number, supplier_ids[order.supplier_code], order.status,
                                  admin_ids.get(order.administration_code or ""), lines))  # fmt: skip
    return tuple(orders)

