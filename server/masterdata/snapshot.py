"""Load just the master data one invoice can match against, as plain frozen records."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from server.invoices.matching import InvoiceFacts, PartyFacts
from server.masterdata.models import (
    Administration,
    AdministrationIdentifier,
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


def _supplier_ids(session: Session, party: PartyFacts, *, environment_id: int) -> set[int]:
    """Ids of suppliers sharing an identifier value, IBAN, normalised name or postal code with the party."""
    conditions: list[ColumnElement[bool]] = []
    if values := _identifier_values(party):
        by_id = select(SupplierIdentifier.supplier_id).filter_by(environment_id=environment_id)
        conditions.append(Supplier.id.in_(by_id.where(SupplierIdentifier.value.in_(values))))
    if ibans := {normalise_iban(iban) for iban in party.ibans} - {""}:
        by_bank = select(SupplierBankAccount.supplier_id).filter_by(environment_id=environment_id)
        conditions.append(Supplier.id.in_(by_bank.where(SupplierBankAccount.iban.in_(ibans))))
    if names := _names(party):
        conditions.append(Supplier.normalised_name.in_(names))
    if postal := normalise_postal_code(party.postal_code):
        conditions.append(Supplier.postal_code == postal)
    if not conditions:
        return set()
    query = select(Supplier.id).filter_by(environment_id=environment_id).where(or_(*conditions))
    return set(session.scalars(query))


def _suppliers(session: Session, ids: set[int]) -> tuple[SupplierRecord, ...]:
    if not ids:
        return ()
    query = (
        select(Supplier)
        .where(Supplier.id.in_(ids))
        .options(selectinload(Supplier.identifiers), selectinload(Supplier.bank_accounts))
        .order_by(Supplier.id)
    )
    return tuple(
        SupplierRecord(
            id=row.id,
            code=row.code,
            name=row.name,
            normalised_name=row.normalised_name,
            postal_code=row.postal_code or "",
            city=row.city or "",
            country=row.country or "",
            identifiers=tuple((i.scheme, i.value) for i in row.identifiers),
            bank_accounts=tuple(BankAccountRecord(a.iban, a.preferred, a.bic) for a in row.bank_accounts),
        )
        for row in session.scalars(query)
    )


def _administrations(
    session: Session, party: PartyFacts, *, environment_id: int
) -> tuple[AdministrationRecord, ...]:
    conditions: list[ColumnElement[bool]] = []
    if values := _identifier_values(party):
        by_id = select(AdministrationIdentifier.administration_id).filter_by(environment_id=environment_id)
        conditions.append(Administration.id.in_(by_id.where(AdministrationIdentifier.value.in_(values))))
    if names := _names(party):
        conditions.append(Administration.normalised_name.in_(names))
    if city := normalise_city(party.city):
        conditions.append(Administration.normalised_city == city)
    if not conditions:
        return ()
    query = (
        select(Administration)
        .filter_by(environment_id=environment_id)
        .where(or_(*conditions))
        .options(selectinload(Administration.identifiers))
        .order_by(Administration.id)
    )
    return tuple(
        AdministrationRecord(
            id=row.id,
            code=row.code,
            name=row.name,
            normalised_name=row.normalised_name,
            city=row.city or "",
            identifiers=tuple((i.scheme, i.value) for i in row.identifiers),
        )
        for row in session.scalars(query)
    )


def _orders(session: Session, reference: str | None, *, environment_id: int) -> tuple[OrderRecord, ...]:
    number = (reference or "").strip()
    if not number:
        return ()
    loaded = selectinload(PurchaseOrder.lines).selectinload(OrderLine.receipts)
    query = select(PurchaseOrder).filter_by(environment_id=environment_id).options(loaded)
    rows = list(session.scalars(query.where(PurchaseOrder.number == number)))
    if not rows:
        # Invoices may cite the number in another case; the exact look-up above uses the unique index.
        rows = list(session.scalars(query.where(func.lower(PurchaseOrder.number) == number.lower())))
    return tuple(_order_record(order) for order in rows)


def _order_record(order: PurchaseOrder) -> OrderRecord:
    lines = tuple(
        OrderLineRecord(
            id=line.id,
            line_number=line.line_number,
            quantity=line.quantity,
            unit_price=line.unit_price,
            item_id=line.item_id,
            description=line.description,
            ledger_account=line.ledger_account,
            matching_handled=line.matching_handled,
            receipts=tuple(ReceiptRecord(r.id, r.quantity, r.received_on, r.reference) for r in line.receipts),
        )
        for line in order.lines
    )
    return OrderRecord(
        id=order.id,
        number=order.number,
        supplier_id=order.supplier_id,
        status=order.status,
        administration_id=order.administration_id,
        lines=lines,
    )


def _rules(session: Session, supplier_ids: set[int], *, environment_id: int) -> tuple[RuleRecord, ...]:
    query = (
        select(MatchingRule)
        .filter_by(environment_id=environment_id)
        .where(or_(MatchingRule.supplier_id.is_(None), MatchingRule.supplier_id.in_(supplier_ids)))
        .order_by(MatchingRule.id)
    )
    return tuple(
        RuleRecord(
            id=r.id,
            pattern=r.pattern,
            ledger_account=r.ledger_account,
            supplier_id=r.supplier_id,
            is_regex=r.is_regex,
            review_via_workflow=r.review_via_workflow,
        )
        for r in session.scalars(query)
    )


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
