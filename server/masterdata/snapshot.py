"""Load just the master data one invoice can match against, as plain frozen records.

Candidates are found through the indexed keys (identifier values, IBANs, normalised names, postal
codes, order numbers), each look-up its own arm of a UNION so every arm can use its index. This runs
once per received invoice, so it costs five statements (suppliers with their identifiers, their bank
accounts, administrations with theirs, the order with its lines and receipts, the rules), each built
once with bind parameters and read as plain tuples on the session's connection (no ORM identity map,
see `db.execute`). An absent key is an empty list (or NULL), which matches nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from server.db import execute
from server.invoices.facts import InvoiceFacts, PartyFacts
from server.masterdata.models import (
    Administration,
    AdministrationIdentifier,
    GoodsReceipt,
    MatchingRule,
    OrderLine,
    PurchaseOrder,
    Supplier,
    SupplierBankAccount,
    SupplierIdentifier,
)
from server.masterdata.normalise import (
    normalise_city,
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


def _in(name: str) -> Any:
    return bindparam(name, expanding=True)


_ENV: BindParameter[int] = bindparam("env")
# The candidate suppliers: sharing a key with the invoice's supplier, or named by the cited order.
_SUPPLIER_IDS = union(
    select(SupplierIdentifier.supplier_id).where(SupplierIdentifier.environment_id == _ENV,
                                                 SupplierIdentifier.value.in_(_in("values"))),
    select(SupplierBankAccount.supplier_id).where(SupplierBankAccount.environment_id == _ENV,
                                                  SupplierBankAccount.iban.in_(_in("ibans"))),
    select(Supplier.id).where(Supplier.environment_id == _ENV, Supplier.normalised_name.in_(_in("names"))),
    select(Supplier.id).where(Supplier.environment_id == _ENV, Supplier.postal_code == bindparam("postal")),
    select(Supplier.id).where(Supplier.environment_id == _ENV, Supplier.id.in_(_in("order_suppliers"))),
)
_SUPPLIERS = (select(Supplier.id, Supplier.code, Supplier.name, Supplier.normalised_name, Supplier.postal_code,
                     Supplier.city, Supplier.country, SupplierIdentifier.scheme, SupplierIdentifier.value)
              .outerjoin(SupplierIdentifier, SupplierIdentifier.supplier_id == Supplier.id)
              .where(Supplier.id.in_(_SUPPLIER_IDS)).order_by(Supplier.id, SupplierIdentifier.id))
_SUPPLIER_ACCOUNTS = (select(SupplierBankAccount.supplier_id, SupplierBankAccount.iban, SupplierBankAccount.preferred,
                             SupplierBankAccount.bic)
                      .where(SupplierBankAccount.supplier_id.in_(_in("ids"))).order_by(SupplierBankAccount.id))
_ADMINISTRATION_IDS = union(
    select(AdministrationIdentifier.administration_id).where(AdministrationIdentifier.environment_id == _ENV,
                                                             AdministrationIdentifier.value.in_(_in("values"))),
    select(Administration.id).where(Administration.environment_id == _ENV,
                                    Administration.normalised_name.in_(_in("names"))),
    select(Administration.id).where(Administration.environment_id == _ENV,
                                    Administration.normalised_city == bindparam("city")),
)
_ADMINISTRATIONS = (select(Administration.id, Administration.code, Administration.name, Administration.normalised_name,
                           Administration.city, AdministrationIdentifier.scheme, AdministrationIdentifier.value)
                    .outerjoin(AdministrationIdentifier, AdministrationIdentifier.administration_id == Administration.id)
                    .where(Administration.id.in_(_ADMINISTRATION_IDS))
                    .order_by(Administration.id, AdministrationIdentifier.id))
_ORDER_ROWS = (select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.supplier_id, PurchaseOrder.status,
                      PurchaseOrder.administration_id,
                      OrderLine.id, OrderLine.line_number, OrderLine.quantity, OrderLine.unit_price, OrderLine.item_id,
                      OrderLine.description, OrderLine.ledger_account, OrderLine.matching_handled,
                      GoodsReceipt.id, GoodsReceipt.quantity, GoodsReceipt.received_on, GoodsReceipt.reference)
               .outerjoin(OrderLine, OrderLine.order_id == PurchaseOrder.id)
               .outerjoin(GoodsReceipt, GoodsReceipt.order_line_id == OrderLine.id)
               .where(PurchaseOrder.environment_id == _ENV)
               .order_by(PurchaseOrder.id, OrderLine.id, GoodsReceipt.id))
_ORDERS = _ORDER_ROWS.where(PurchaseOrder.number == bindparam("number"))
# Invoices may cite the number in another case; the exact look-up above uses the unique index.
_ORDERS_ANY_CASE = _ORDER_ROWS.where(func.lower(PurchaseOrder.number) == bindparam("number"))
_RULES = (select(MatchingRule.id, MatchingRule.pattern, MatchingRule.ledger_account, MatchingRule.supplier_id,
                 MatchingRule.is_regex, MatchingRule.review_via_workflow)
          .where(MatchingRule.environment_id == _ENV,
                 or_(MatchingRule.supplier_id.is_(None), MatchingRule.supplier_id.in_(_in("ids"))))
          .order_by(MatchingRule.id))


def _identifier_values(party: PartyFacts) -> list[str]:
    pairs = [*party.identifiers, *([("VAT", party.vat_id)] if party.vat_id else [])]
    return sorted({value for _, value in (normalise_identifier(s, v) for s, v in pairs) if value})


def _names(party: PartyFacts) -> list[str]:
    return sorted({normalise_name(name) for name in party.names} - {""})


def _grouped(rows: Iterable[Any], width: int) -> dict[tuple[Any, ...], list[tuple[Any, ...]]]:
    """Joined rows split into parent (the first `width` columns) and child parts, in order of arrival."""
    grouped: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        grouped.setdefault(tuple(row[:width]), []).append(tuple(row[width:]))
    return grouped


def _suppliers(session: Session, party: PartyFacts, orders: tuple[OrderRecord, ...], *,
               environment_id: int) -> tuple[SupplierRecord, ...]:
    """Suppliers sharing an identifier value, IBAN, normalised name or postal code with the party.

    The cited order's own supplier is a candidate too, so "order of another supplier" can be told apart.
    """
    params = {"env": environment_id, "values": _identifier_values(party), "names": _names(party),
              "ibans": sorted({normalise_iban(iban) for iban in party.ibans} - {""}),
              "postal": normalise_postal_code(party.postal_code) or None,
              "order_suppliers": sorted({order.supplier_id for order in orders if order.supplier_id is not None})}
    if not any(params[key] for key in ("values", "names", "ibans", "postal", "order_suppliers")):
        return ()
    suppliers = _grouped(execute(session, _SUPPLIERS, params), 7)
    if not suppliers:
        return ()
    accounts: dict[int, list[BankAccountRecord]] = defaultdict(list)
    for supplier_id, iban, preferred, bic in execute(session, _SUPPLIER_ACCOUNTS,
                                                     {"ids": [key[0] for key in suppliers]}):
        accounts[supplier_id].append(BankAccountRecord(iban, preferred, bic))
    return tuple(
        SupplierRecord(
            id=sid, code=code, name=name, normalised_name=key, postal_code=postal or "", city=city or "",
            country=country or "", identifiers=tuple((s, v) for s, v in identifiers if s is not None),
            bank_accounts=tuple(accounts[sid]),
        )
        for (sid, code, name, key, postal, city, country), identifiers in suppliers.items()
    )  # fmt: skip


def _administrations(session: Session, party: PartyFacts, *, environment_id: int) -> tuple[AdministrationRecord, ...]:
    params = {"env": environment_id, "values": _identifier_values(party), "names": _names(party),
              "city": normalise_city(party.city) or None}
    if not (params["values"] or params["names"] or params["city"]):
        return ()
    return tuple(
        AdministrationRecord(aid, code, name, key, city or "", tuple((s, v) for s, v in identifiers if s is not None))
        for (aid, code, name, key, city), identifiers in _grouped(execute(session, _ADMINISTRATIONS, params), 5).items()
    )


def _orders(session: Session, reference: str | None, *, environment_id: int) -> tuple[OrderRecord, ...]:
    number = (reference or "").strip()
    if not number:
        return ()
    rows = list(execute(session, _ORDERS, {"env": environment_id, "number": number}))
    if not rows:
        rows = list(execute(session, _ORDERS_ANY_CASE, {"env": environment_id, "number": number.lower()}))
    return tuple(OrderRecord(oid, number, supplier, status, administration, _lines(parts))
                 for (oid, number, supplier, status, administration), parts in _grouped(rows, 5).items())


def _lines(parts: list[tuple[Any, ...]]) -> tuple[OrderLineRecord, ...]:
    """An order's lines, each with its receipts, from the line + receipt parts of its joined rows."""
    lines = _grouped((part for part in parts if part[0] is not None), 8)
    return tuple(
        OrderLineRecord(
            id=line_id, line_number=number, quantity=quantity, unit_price=price, item_id=item_id,
            description=description, ledger_account=ledger, matching_handled=handled,
            receipts=tuple(ReceiptRecord(*receipt) for receipt in receipts if receipt[0] is not None),
        )
        for (line_id, number, quantity, price, item_id, description, ledger, handled), receipts in lines.items()
    )  # fmt: skip


def _rules(session: Session, supplier_ids: set[int], *, environment_id: int) -> tuple[RuleRecord, ...]:
    return tuple(RuleRecord(*row) for row in execute(session, _RULES, {"env": environment_id,
                                                                        "ids": sorted(supplier_ids)}))


def snapshot_for(session: Session, *, environment_id: int, facts: InvoiceFacts) -> MasterData:
    """The candidate suppliers, administrations, orders (with lines and receipts) and rules for one invoice."""
    orders = _orders(session, facts.order_reference, environment_id=environment_id)
    suppliers = _suppliers(session, facts.supplier, orders, environment_id=environment_id)
    return MasterData(
        suppliers=suppliers,
        administrations=_administrations(session, facts.customer, environment_id=environment_id),
        orders=orders,
        rules=_rules(session, {supplier.id for supplier in suppliers}, environment_id=environment_id),
    )
