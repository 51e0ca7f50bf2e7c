"""Load just the master data one invoice can match against, as plain frozen records.

Candidates are found through the indexed keys (identifier values, IBANs, normalised names, postal
codes, order numbers), each look-up its own arm of a UNION so every arm can use its index. Rows are
read as plain tuples (no ORM identity map): this runs once per received invoice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, or_, select, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

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


def _identifier_values(party: PartyFacts) -> set[str]:
    pairs = [*party.identifiers, *([("VAT", party.vat_id)] if party.vat_id else [])]
    return {value for _, value in (normalise_identifier(s, v) for s, v in pairs) if value}


def _names(party: PartyFacts) -> set[str]:
    return {normalise_name(name) for name in party.names} - {""}


def _ids(session: Session, arms: list[Select[Any]]) -> set[int]:
    if not arms:
        return set()
    return set(session.scalars(union(*arms) if len(arms) > 1 else arms[0]))


def _supplier_ids(session: Session, party: PartyFacts, *, environment_id: int) -> set[int]:
    """Ids of suppliers sharing an identifier value, IBAN, normalised name or postal code with the party."""
    env = environment_id
    arms: list[Select[Any]] = []
    if values := _identifier_values(party):
        arms.append(select(SupplierIdentifier.supplier_id).filter_by(environment_id=env)
                    .where(SupplierIdentifier.value.in_(values)))  # fmt: skip
    if ibans := {normalise_iban(iban) for iban in party.ibans} - {""}:
        arms.append(select(SupplierBankAccount.supplier_id).filter_by(environment_id=env)
                    .where(SupplierBankAccount.iban.in_(ibans)))  # fmt: skip
    if names := _names(party):
        arms.append(select(Supplier.id).filter_by(environment_id=env).where(Supplier.normalised_name.in_(names)))
    if postal := normalise_postal_code(party.postal_code):
        arms.append(select(Supplier.id).filter_by(environment_id=env, postal_code=postal))
    return _ids(session, arms)


def _children(session: Session, query: Executable) -> dict[int, list[Any]]:
    """Rows of a child table grouped by their first column (the parent id)."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(query):
        grouped[row[0]].append(row[1:])
    return grouped


def _suppliers(session: Session, ids: set[int]) -> tuple[SupplierRecord, ...]:
    if not ids:
        return ()
    idents = _children(session, select(SupplierIdentifier.supplier_id, SupplierIdentifier.scheme,
                                       SupplierIdentifier.value)
                       .where(SupplierIdentifier.supplier_id.in_(ids)).order_by(SupplierIdentifier.id))  # fmt: skip
    accounts = _children(session, select(SupplierBankAccount.supplier_id, SupplierBankAccount.iban,
                                         SupplierBankAccount.preferred, SupplierBankAccount.bic)
                         .where(SupplierBankAccount.supplier_id.in_(ids)).order_by(SupplierBankAccount.id))  # fmt: skip
    columns = (Supplier.id, Supplier.code, Supplier.name, Supplier.normalised_name, Supplier.postal_code,
               Supplier.city, Supplier.country)  # fmt: skip
    return tuple(
        SupplierRecord(
            id=sid, code=code, name=name, normalised_name=key, postal_code=postal or "", city=city or "",
            country=country or "", identifiers=tuple((s, v) for s, v in idents[sid]),
            bank_accounts=tuple(BankAccountRecord(iban, preferred, bic) for iban, preferred, bic in accounts[sid]),
        )
        for sid, code, name, key, postal, city, country in session.execute(
            select(*columns).where(Supplier.id.in_(ids)).order_by(Supplier.id)
        )
    )  # fmt: skip


def _administrations(session: Session, party: PartyFacts, *, environment_id: int) -> tuple[AdministrationRecord, ...]:
    env = environment_id
    arms: list[Select[Any]] = []
    if values := _identifier_values(party):
        arms.append(select(AdministrationIdentifier.administration_id).filter_by(environment_id=env)
                    .where(AdministrationIdentifier.value.in_(values)))  # fmt: skip
    if names := _names(party):
        arms.append(select(Administration.id).filter_by(environment_id=env)
                    .where(Administration.normalised_name.in_(names)))  # fmt: skip
    if city := normalise_city(party.city):
        arms.append(select(Administration.id).filter_by(environment_id=env, normalised_city=city))
    ids = _ids(session, arms)
    if not ids:
        return ()
    idents = _children(session, select(AdministrationIdentifier.administration_id, AdministrationIdentifier.scheme,
                                       AdministrationIdentifier.value)
                       .where(AdministrationIdentifier.administration_id.in_(ids))
                       .order_by(AdministrationIdentifier.id))  # fmt: skip
    query = select(Administration.id, Administration.code, Administration.name, Administration.normalised_name,
                   Administration.city).where(Administration.id.in_(ids)).order_by(Administration.id)  # fmt: skip
    return tuple(
        AdministrationRecord(aid, code, name, key, city or "", tuple((s, v) for s, v in idents[aid]))
        for aid, code, name, key, city in session.execute(query)
    )


def _orders(session: Session, reference: str | None, *, environment_id: int) -> tuple[OrderRecord, ...]:
    number = (reference or "").strip()
    if not number:
        return ()
    query = select(PurchaseOrder.id, PurchaseOrder.number, PurchaseOrder.supplier_id, PurchaseOrder.status,
                   PurchaseOrder.administration_id).filter_by(environment_id=environment_id)  # fmt: skip
    orders = list(session.execute(query.where(PurchaseOrder.number == number)))
    if not orders:
        # Invoices may cite the number in another case; the exact look-up above uses the unique index.
        orders = list(session.execute(query.where(func.lower(PurchaseOrder.number) == number.lower())))
    if not orders:
        return ()
    lines = _children(session, select(OrderLine.order_id, OrderLine.id, OrderLine.line_number, OrderLine.quantity,
                                      OrderLine.unit_price, OrderLine.item_id, OrderLine.description,
                                      OrderLine.ledger_account, OrderLine.matching_handled)
                      .where(OrderLine.order_id.in_([o[0] for o in orders])).order_by(OrderLine.id))  # fmt: skip
    line_ids = [line[0] for group in lines.values() for line in group]
    receipts = _children(session, select(GoodsReceipt.order_line_id, GoodsReceipt.id, GoodsReceipt.quantity,
                                         GoodsReceipt.received_on, GoodsReceipt.reference)
                         .where(GoodsReceipt.order_line_id.in_(line_ids)).order_by(GoodsReceipt.id))  # fmt: skip
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
    query = (
        select(MatchingRule.id, MatchingRule.pattern, MatchingRule.ledger_account, MatchingRule.supplier_id,
               MatchingRule.is_regex, MatchingRule.review_via_workflow)
        .filter_by(environment_id=environment_id)
        .where(or_(MatchingRule.supplier_id.is_(None), MatchingRule.supplier_id.in_(supplier_ids)))
        .order_by(MatchingRule.id)
    )  # fmt: skip
    return tuple(RuleRecord(*row) for row in session.execute(query))


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

