"""The audit trail of a master-data import: each record before and after, one entry per changed record.

A record is what an auditor reads as one thing: a supplier, an administration, an order, an order
line, a goods receipt, a matching rule, and for bank accounts a supplier's whole set of accounts
with its preferred IBAN (so changing where a supplier is paid names the supplier, the old and the
new IBAN in one record, however many CSV rows it took). Snapshots are plain JSON-able dicts; a record
whose snapshot did not change writes nothing. The importer writes a chunk's changed records as one
audit batch (server/audit/details.py): a detail row per record under one chained entry.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import DomainError
from server.masterdata.common import find_row
from server.masterdata.inputs import (
    AdministrationInput,
    BankAccountInput,
    OrderInput,
    OrderLineInput,
    ReceiptInput,
    RuleInput,
    SupplierInput,
)
from server.masterdata.models import (
    Administration,
    GoodsReceipt,
    MatchingRule,
    OrderLine,
    PurchaseOrder,
    Supplier,
    SupplierBankAccount,
)
from server.masterdata.normalise import normalise_iban

EDGES = ("api", "page", "cli")
TARGET_ID_LENGTH = 100
SCALE = Decimal("0.0001")
Snapshot = dict[str, Any] | None


def _number(value: Decimal) -> str:
    """A quantity or price as the database keeps it (4 decimals), written without trailing zeros, so a
    row read back from the database and the same row just assigned from a CSV compare equal."""
    return format(Decimal(value).quantize(SCALE).normalize(), "f")


def _identifiers(row: Any) -> list[str]:
    return sorted(f"{i.scheme}:{i.value}" for i in row.identifiers)


def _code(session: Session, model: type[Any], row_id: int | None) -> str | None:
    if row_id is None:
        return None
    row = session.get(model, row_id)
    return row.code if row is not None else None


def _supplier(session: Session, row: Supplier) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "address_line1": row.address_line1,
            "address_line2": row.address_line2, "postal_code": row.postal_code, "city": row.city,
            "country": row.country, "email": row.email, "language": row.language,
            "identifiers": _identifiers(row)}


def _accounts(session: Session, row: Supplier) -> dict[str, Any]:
    accounts = sorted(row.bank_accounts, key=lambda a: a.iban)
    return {"supplier": row.code, "preferred_iban": next((a.iban for a in accounts if a.preferred), None),
            "accounts": [{"iban": a.iban, "bic": a.bic, "preferred": a.preferred} for a in accounts]}


def _administration(session: Session, row: Administration) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "city": row.city, "identifiers": _identifiers(row)}


def _order(session: Session, row: PurchaseOrder) -> dict[str, Any]:
    return {"number": row.number, "supplier": _code(session, Supplier, row.supplier_id),
            "administration": _code(session, Administration, row.administration_id), "status": row.status}


def _line(session: Session, row: OrderLine) -> dict[str, Any]:
    return {"order": row.order.number, "line_number": row.line_number, "item_id": row.item_id,
            "description": row.description, "quantity": _number(row.quantity), "unit_price": _number(row.unit_price),
            "ledger_account": row.ledger_account, "matching_handled": row.matching_handled}


def _receipt(session: Session, row: GoodsReceipt) -> dict[str, Any]:
    line = row.order_line
    return {"order": line.order.number, "line_number": line.line_number, "reference": row.reference,
            "quantity": _number(row.quantity), "received_on": row.received_on.isoformat()}


def _rule(session: Session, row: MatchingRule) -> dict[str, Any]:
    return {"supplier": _code(session, Supplier, row.supplier_id), "pattern": row.pattern,
            "is_regex": row.is_regex, "ledger_account": row.ledger_account,
            "review_via_workflow": row.review_via_workflow}


def _find_supplier(session: Session, data: SupplierInput | BankAccountInput, env: int) -> Supplier | None:
    code = data.code if isinstance(data, SupplierInput) else data.supplier_code
    return find_row(session, Supplier, environment_id=env, code=(code or "").strip())


def _find_order(session: Session, data: OrderInput, env: int) -> PurchaseOrder | None:
    return find_row(session, PurchaseOrder, environment_id=env, number=data.number.strip())


def _find_line(session: Session, data: OrderLineInput | ReceiptInput, env: int) -> OrderLine | None:
    order = find_row(session, PurchaseOrder, environment_id=env, number=(data.order_number or "").strip())
    if order is None:
        return None
    query = select(OrderLine).filter_by(order_id=order.id, line_number=(data.line_number or "").strip())
    return session.scalars(query).first()


def _find_receipt(session: Session, data: ReceiptInput, env: int) -> GoodsReceipt | None:
    line = _find_line(session, data, env)
    if line is None:
        return None
    return find_row(session, GoodsReceipt, environment_id=env, order_line_id=line.id,
                    reference=data.reference.strip())


def _find_rule(session: Session, data: RuleInput, env: int) -> MatchingRule | None:
    supplier_id = None
    code = (data.supplier_code or "").strip()
    if code:
        supplier = find_row(session, Supplier, environment_id=env, code=code)
        if supplier is None:
            return None
        supplier_id = supplier.id
    query = select(MatchingRule).filter_by(environment_id=env, supplier_id=supplier_id, pattern=data.pattern.strip())
    return session.scalars(query).first()


def _find_administration(session: Session, data: AdministrationInput, env: int) -> Administration | None:
    return find_row(session, Administration, environment_id=env, code=data.code.strip())


class _Record:
    """How one kind's records are named, found before a save and snapshotted."""

    def __init__(self, kind: str, key: Callable[[Any], str], find: Callable[[Session, Any, int], Any],
                 snapshot: Callable[[Session, Any], dict[str, Any]]):
        self.kind, self.key, self.find, self.snapshot = kind, key, find, snapshot


RECORDS: dict[str, _Record] = {
    "suppliers": _Record("supplier", lambda d: d.code.strip(), _find_supplier, _supplier),
    "bank_accounts": _Record("bank_accounts", lambda d: d.supplier_code.strip(), _find_supplier, _accounts),
    "administrations": _Record("administration", lambda d: d.code.strip(), _find_administration, _administration),
    "purchase_orders": _Record("purchase_order", lambda d: d.number.strip(), _find_order, _order),
    "order_lines": _Record("order_line", lambda d: f"{d.order_number.strip()}/{d.line_number.strip()}",
                           _find_line, _line),
    "goods_receipts": _Record(
        "goods_receipt", lambda d: f"{d.order_number.strip()}/{d.line_number.strip()}/{d.reference.strip()}",
        _find_receipt, _receipt),
    "matching_rules": _Record("matching_rule", lambda d: f"{(d.supplier_code or '').strip()}:{d.pattern.strip()}",
                              _find_rule, _rule),
}  # fmt: skip


def account_of(row: SupplierBankAccount | None) -> Snapshot:
    """One bank account as a CSV row describes it (to tell a changed row from an unchanged one)."""
    return None if row is None else {"iban": row.iban, "bic": row.bic, "preferred": row.preferred}


def _account(supplier: Supplier | None, data: BankAccountInput) -> SupplierBankAccount | None:
    """The supplier's account with the row's IBAN, from the accounts already loaded (no query)."""
    iban = normalise_iban(data.iban)
    return next((a for a in supplier.bank_accounts if a.iban == iban), None) if supplier is not None else None


class Trail:
    """Collects each touched record's first snapshot, then writes one entry per record that changed."""

    def __init__(self, session: Session, kind: str, *, environment_id: int):
        self.session, self.record, self.env = session, RECORDS[kind], environment_id
        self.before: dict[str, Snapshot] = {}
        self.rows: dict[str, Any] = {}

    def row_before(self, data: Any) -> Snapshot:
        """Remember the record's state before its first row is saved; returns the row's own state."""
        key = self.record.key(data)
        try:
            found = self.record.find(self.session, data, self.env)
        except DomainError:
            found = None
        if key not in self.before:
            self.before[key] = self.record.snapshot(self.session, found) if found is not None else None
        if isinstance(data, BankAccountInput):
            return account_of(_account(found, data))
        return self.before[key] if found is not None else None

    def row_after(self, data: Any, saved: Any) -> Snapshot:
        """Note the saved row's record; returns the row's own state after the save."""
        if isinstance(data, BankAccountInput):
            self.rows[self.record.key(data)] = saved.supplier
            return account_of(saved)
        self.rows[self.record.key(data)] = saved
        return self.record.snapshot(self.session, saved)

    def changes(self) -> list[tuple[str, Snapshot, Snapshot]]:
        """(key, before, after) of every touched record that changed (created: before is None)."""
        found = [(key, self.before[key], self.record.snapshot(self.session, row)) for key, row in self.rows.items()]
        return [(key, before, after) for key, before, after in found if before != after]
