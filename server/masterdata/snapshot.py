"""Load just the master data one invoice can match against, as plain frozen records.

Candidates are found through the indexed keys (identifier values, IBANs, normalised names, postal
codes, order numbers), each look-up its own arm of a UNION so every arm can use its index. This runs
once per received invoice, so the statements are built once, with bind parameters, and rows are read
as plain tuples on the session's connection (no ORM identity map, see `db.execute`). An absent key is
an empty list (or NULL), which matches nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, or_, select, union
from sqlalchemy.orm import Session

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


_ENV = bindparam("env")
_SUPPLIER_IDS = union(
    select(SupplierIdentifier.supplier_id).where(SupplierIdentifier.environment_id == _ENV,
                                                 SupplierIdentifier.value.in_(_in("values"))),
    select(SupplierBankAccount.supplier_id).where(SupplierBankAccount.environment_id == _ENV,
                                                  SupplierBankAccount.iban.in_(_in("ibans"))),
    select(Supplier.id).where(Supplier.environment_id == _ENV, Supplier.normalised_name.in_(_in("names"))),
    select(Supplier.id).where(Supplier.environment_id == _ENV, Supplier.postal_code == bindparam("postal")),
)
_SUPPLIER_IDENTIFIERS = (select(SupplierIdentifier.supplier_id, SupplierIdentifier.scheme, SupplierIdentifier.value)
                         .where(SupplierIdentifier.supplier_id.in_(_in("ids"))).order_by(SupplierIdentifier.id))
_SUPPLIER_ACCOUNTS = (select(SupplierBankAccount.supplier_id, SupplierBankAccount.iban, SupplierBankAccount.preferred,
                             SupplierBankAccount.bic)
                      .where(SupplierBankAccount.supplier_id.in_(_in("ids"))).order_by(SupplierBankAccount.id))
_SUPPLIERS = (select(Supplier.id, Supplier.code, Supplier.name, Supplier.normalised_name, Supplier.postal_code,
                     Supplier.city, Supplier.country)
              .where(Supplier.id.in_(_in("ids"))).order_by(Supplier.id))
_ADMINISTRATION_IDS = union(
    select(AdministrationIdentifier.administration_id).where(AdministrationIdentifier.environment_id == _ENV,
                                                             AdministrationIdentifier.value.in_(_in("values"))),
    select(Administration.id).where(Administration.environment_id == _ENV,
                                    Administration.normalised_name.in_(_in("names"))),
    select(Administration.id).where(Administration.environment_id == _ENV,
                                    Administration.normalised_city == bindparam("city")),
)
_ADMINISTRATION_IDENTIFIERS = (
    select(AdministrationIdentifier.administration_id, AdministrationIdentifier.scheme, AdministrationIdentifier.value)
    .where(AdministrationIdentifier.administration_id.in_(_in("ids"))).order_by(AdministrationIdentifier.id))
_ADMINISTRATIONS = (select(Administration.id, Administration.code, Administration.name, Administration.normalised_name,
                           Administration.city)
                    .where(Administration.id.in_(_in("ids"))).order_by(Administration.id))
_ORDER_COLUMNS = select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.supplier_id, PurchaseOrder.status,
                        PurchaseOrder.administration_id).where(PurchaseOrder.environment_id == _ENV)
_ORDERS = _ORDER_COLUMNS.where(PurchaseOrder.number == bindparam("number"))
# Invoices may cite the number in another case; the exact look-up above uses the unique index.
_ORDERS_ANY_CASE = _ORDER_COLUMNS.where(func.lower(PurchaseOrder.number) == bindparam("number"))
_ORDER_LINES = (select(OrderLine.order_id, OrderLine.id, OrderLine.line_number, OrderLine.quantity,
                       OrderLine.unit_price, OrderLine.item_id, OrderLine.description, OrderLine.ledger_account,
                       OrderLine.matching_handled)
                .where(OrderLine.order_id.in_(_in("ids"))).order_by(OrderLine.id))
_RECEIPTS = (select(GoodsReceipt.order_line_id, GoodsReceipt.id, GoodsReceipt.quantity, GoodsReceipt.received_on,
                    GoodsReceipt.reference)
             .where(GoodsReceipt.order_line_id.in_(_in("ids"))).order_by(GoodsReceipt.id))
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


def _supplier_ids(session: Session, party: PartyFacts, *, environment_id: int) -> set[int]:
    """Ids of suppliers sharing an identifier value, IBAN, normalised name or postal code with the party."""
    params = {"env": environment_id, "values": _identifier_values(party), "names": _names(party),
              "ibans": sorted({normalise_iban(iban) for iban in party.ibans} - {""}),
              "postal": normalise_postal_code(party.postal_code) or None}
    if not (params["values"] or params["names"] or params["ibans"] or params["postal"]):
        return set()
    return set(execute(session, _SUPPLIER_IDS, params).scalars())


def _children(session: Session, query: Any, ids: Iterable[int]) -> dict[int, list[Any]]:
    """Rows of a child table of the parents `ids`, grouped by their first column (the parent id)."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in execute(session, query, {"ids": sorted(ids)}):
        grouped[row[0]].append(row[1:])
    return grouped


def _suppliers(session: Session, ids: set[int]) -> tuple[SupplierRecord, ...]:
    if not ids:
        return ()
    idents = _children(session, _SUPPLIER_IDENTIFIERS, ids)
    accounts = _children(session, _SUPPLIER_ACCOUNTS, ids)
    return tuple(
        SupplierRecord(
            id=sid, code=code, name=name, normalised_name=key, postal_code=postal or "", city=city or "",
            country=country or "", identifiers=tuple((s, v) for s, v in idents[sid]),
            bank_accounts=tuple(BankAccountRecord(iban, preferred, bic) for iban, preferred, bic in accounts[sid]),
        )
        for sid, code, name, key, postal, city, country in execute(session, _SUPPLIERS, {"ids": sorted(ids)})
    )  # fmt: skip


def _administrations(session: Session, party: PartyFacts, *, environment_id: int) -> tuple[AdministrationRecord, ...]:
    params = {"env": environment_id, "values": _identifier_values(party), "names": _names(party),
              "city": normalise_city(party.city) or None}
    if not (params["values"] or params["names"] or params["city"]):
        return ()
    ids = set(execute(session, _ADMINISTRATION_IDS, params).scalars())
    if not ids:
        return ()
    idents = _children(session, _ADMINISTRATION_IDENTIFIERS, ids)
    return tuple(
        AdministrationRecord(aid, code, name, key, city or "", tuple((s, v) for s, v in idents[aid]))
        for aid, code, name, key, city in execute(session, _ADMINISTRATIONS, {"ids": sorted(ids)})
    )


def _orders(session: Session, reference: str | None, *, environment_id: int) -> tuple[OrderRecord, ...]:
    number = (reference or "").strip()
    if not number:
        return ()
    orders = list(execute(session, _ORDERS, {"env": environment_id, "number": number}))
    if not orders:
        orders = list(execute(session, _ORDERS_ANY_CASE, {"env": environment_id, "number": number.lower()}))
    if not orders:
        return ()
    lines = _children(session, _ORDER_LINES, [o[0] for o in orders])
    receipts = _children(session, _RECEIPTS, [line[0] for group in lines.values() for line in group])
    return tuple(
        OrderRecord(oid, onumber, supplier_id, status, admin_id, tuple(_line(line, receipts) for line in lines[oid]))
        for oid, onumber, supplier_id, status, admin_id in orders
    )


def _line(row: Iterable[Any], receipts: dict[int, list[Any]]) -> OrderLineRecord:
    line_id, number, quantity, price, item_id, description, ledger, handled = row
    return OrderLineRecord(
        id=line_id, line_number=number, quantity=quantity, unit_price=price, item_id=item_id,
        description=description, ledger_account=ledger, matching_handled=handled,
        receipts=tuple(ReceiptRecord(*receipt) for receipt in receipts[line_id]),
    )  # fmt: skip


def _rules(session: Session, supplier_ids: set[int], *, environment_id: int) -> tuple[RuleRecord, ...]:
    return tuple(RuleRecord(*row) for row in execute(session, _RULES, {"env": environment_id,
                                                                        "ids": sorted(supplier_ids)}))


def snapshot_for(session: Session, *, environment_id: int, facts: InvoiceFacts) -> MasterData:
    """The candidate suppliers, administrations, orders (with lines and receipts) and rules for one invoice."""
    orders = _orders(session, facts.order_reference, environment_id=environment_id)
    supplier_ids = _supplier_ids(session, facts.supplier, environment_id=environment_id)
    # The order's own supplier is a candidate too, so "order of another supplier" can be told apart.
    supplier_ids |= {order.supplier_id for order in orders}
    return MasterData(
        suppliers=_suppliers(session, supplier_ids),
        administrations=_administrations(session, facts.customer, environment_id=environment_id),
        orders=orders,
        rules=_rules(session, supplier_ids, environment_id=environment_id),
    )

