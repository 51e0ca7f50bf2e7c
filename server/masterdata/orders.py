"""Verb functions for purchase orders, order lines, goods receipts and free matching rules (flush only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import InvalidInput
from server.masterdata.common import (
    blank_to_none,
    check,
    conflict,
    ensure_free,
    find_row,
    get_row,
    list_rows,
    not_found,
)
from server.masterdata.inputs import OrderInput, OrderLineInput, ReceiptInput, RuleInput
from server.masterdata.models import GoodsReceipt, MatchingRule, OrderLine, PurchaseOrder
from server.masterdata.parties import administration_by_code, supplier_by_code

# Purchase orders


def _apply_order(session: Session, row: PurchaseOrder, data: OrderInput, *, environment_id: int) -> None:
    row.number = data.number.strip()
    row.supplier_id = supplier_by_code(session, data.supplier_code, environment_id=environment_id).id
    admin_code = blank_to_none(data.administration_code)
    row.administration_id = (
        administration_by_code(session, admin_code, environment_id=environment_id).id if admin_code else None
    )
    row.status = data.status


def order_by_number(session: Session, number: str, *, environment_id: int) -> PurchaseOrder:
    """The purchase order with this number, or NotFound."""
    row = find_row(session, PurchaseOrder, environment_id=environment_id, number=(number or "").strip())
    if row is None:
        raise not_found(f"purchase order {number} not found", field="order_number")
    return row


def create_order(session: Session, data: OrderInput, *, environment_id: int) -> PurchaseOrder:
    """A new purchase order (obligation); Conflict when its number is taken."""
    check(data, what="purchase order")
    ensure_free(session, PurchaseOrder, environment_id=environment_id, what="purchase order", field="number",
                value=data.number)
    row = PurchaseOrder(environment_id=environment_id)
    _apply_order(session, row, data, environment_id=environment_id)
    session.add(row)
    session.flush()
    return row


def update_order(session: Session, order_id: int, data: OrderInput, *, environment_id: int) -> PurchaseOrder:
    """Replace an order's number, supplier, administration and status (released or blocked)."""
    check(data, what="purchase order")
    row = get_order(session, order_id, environment_id=environment_id)
    ensure_free(session, PurchaseOrder, environment_id=environment_id, what="purchase order", field="number",
                value=data.number, keep=row)
    _apply_order(session, row, data, environment_id=environment_id)
    session.flush()
    return row


def save_order(session: Session, data: OrderInput, *, environment_id: int) -> tuple[PurchaseOrder, bool]:
    """Create or update the order with this number; True when it was created."""
    row = find_row(session, PurchaseOrder, environment_id=environment_id, number=data.number.strip())
    if row is None:
        return create_order(session, data, environment_id=environment_id), True
    return update_order(session, row.id, data, environment_id=environment_id), False


def get_order(session: Session, order_id: int, *, environment_id: int) -> PurchaseOrder:
    """The purchase order with this id in this environment, or NotFound."""
    return get_row(session, PurchaseOrder, order_id, environment_id=environment_id, what="purchase order")


def list_orders(
    session: Session,
    *,
    environment_id: int,
    supplier_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[PurchaseOrder]:
    """Purchase orders by number, optionally of one supplier."""
    where = [PurchaseOrder.supplier_id == supplier_id] if supplier_id is not None else []
    return list_rows(
        session, PurchaseOrder, environment_id=environment_id, order_by=[PurchaseOrder.number], where=where,
        limit=limit, offset=offset,
    )  # fmt: skip


# Order lines


def _apply_line(row: OrderLine, data: OrderLineInput) -> None:
    row.line_number = data.line_number.strip()
    row.item_id = blank_to_none(data.item_id)
    row.description = (data.description or "").strip()
    row.quantity = data.quantity
    row.unit_price = data.unit_price
    row.ledger_account = blank_to_none(data.ledger_account)
    row.matching_handled = data.matching_handled


def _find_line(session: Session, order: PurchaseOrder, line_number: str) -> OrderLine | None:
    query = select(OrderLine).filter_by(order_id=order.id, line_number=(line_number or "").strip())
    return session.scalars(query).first()


def order_line_by_number(
    session: Session, order_number: str, line_number: str, *, environment_id: int
) -> OrderLine:
    """The line with this number on the order with this number, or NotFound."""
    order = order_by_number(session, order_number, environment_id=environment_id)
    row = _find_line(session, order, line_number)
    if row is None:
        raise not_found(f"purchase order {order.number} has no line {line_number}", field="line_number")
    return row


def create_order_line(session: Session, data: OrderLineInput, *, environment_id: int) -> OrderLine:
    """A new line on an existing order; Conflict when the order already has that line number."""
    check(data, what="order line")
    order = order_by_number(session, data.order_number, environment_id=environment_id)
    if _find_line(session, order, data.line_number) is not None:
        raise conflict(
            f"purchase order {order.number} already has line {data.line_number}", field="line_number"
        )
    row = OrderLine(environment_id=environment_id, order_id=order.id)
    _apply_line(row, data)
    order.lines.append(row)
    session.flush()
    return row


def update_order_line(
    session: Session, line_id: int, data: OrderLineInput, *, environment_id: int
) -> OrderLine:
    """Replace a line's item, quantity, price, ledger account and matching-handled flag."""
    check(data, what="order line")
    row = get_order_line(session, line_id, environment_id=environment_id)
    other = _find_line(session, row.order, data.line_number)
    if other is not None and other.id != row.id:
        raise conflict(
            f"purchase order {row.order.number} already has line {data.line_number}", field="line_number"
        )
    _apply_line(row, data)
    session.flush()
    return row


def save_order_line(session: Session, data: OrderLineInput, *, environment_id: int) -> tuple[OrderLine, bool]:
    """Create or update the order's line with this number; True when it was created."""
    check(data, what="order line")
    order = order_by_number(session, data.order_number, environment_id=environment_id)
    row = _find_line(session, order, data.line_number)
    if row is None:
        return create_order_line(session, data, environment_id=environment_id), True
    return update_order_line(session, row.id, data, environment_id=environment_id), False


def get_order_line(session: Session, line_id: int, *, environment_id: int) -> OrderLine:
    """The order line with this id in this environment, or NotFound."""
    return get_row(session, OrderLine, line_id, environment_id=environment_id, what="order line")


def list_order_lines(session: Session, order_id: int, *, environment_id: int) -> list[OrderLine]:
    """The lines of one order, in the order they were added."""
    return list(get_order(session, order_id, environment_id=environment_id).lines)


# Goods receipts


def create_receipt(session: Session, data: ReceiptInput, *, environment_id: int) -> GoodsReceipt:
    """A goods receipt against an order line; Conflict when that line already has this reference."""
    check(data, what="goods receipt")
    line = order_line_by_number(session, data.order_number, data.line_number, environment_id=environment_id)
    if find_row(
        session, GoodsReceipt, environment_id=environment_id, order_line_id=line.id, reference=data.reference
    ):
        raise conflict(
            f"goods receipt {data.reference} already exists for that order line", field="reference"
        )
    row = GoodsReceipt(environment_id=environment_id, order_line_id=line.id, reference=data.reference.strip())
    row.quantity, row.received_on = data.quantity, data.received_on
    line.receipts.append(row)
    session.flush()
    return row


def update_receipt(
    session: Session, receipt_id: int, data: ReceiptInput, *, environment_id: int
) -> GoodsReceipt:
    """Correct a receipt's quantity and date (it stays on its order line)."""
    check(data, what="goods receipt")
    row = get_receipt(session, receipt_id, environment_id=environment_id)
    line = order_line_by_number(session, data.order_number, data.line_number, environment_id=environment_id)
    if line.id != row.order_line_id or data.reference.strip() != row.reference:
        raise InvalidInput("a goods receipt cannot move to another order line or reference")
    row.quantity, row.received_on = data.quantity, data.received_on
    session.flush()
    return row


def save_receipt(session: Session, data: ReceiptInput, *, environment_id: int) -> tuple[GoodsReceipt, bool]:
    """Create or update the receipt with this reference on the order line; True when it was created."""
    check(data, what="goods receipt")
    line = order_line_by_number(session, data.order_number, data.line_number, environment_id=environment_id)
    row = find_row(
        session,
        GoodsReceipt,
        environment_id=environment_id,
        order_line_id=line.id,
        reference=data.reference.strip(),
    )
    if row is None:
        return create_receipt(session, data, environment_id=environment_id), True
    return update_receipt(session, row.id, data, environment_id=environment_id), False


def get_receipt(session: Session, receipt_id: int, *, environment_id: int) -> GoodsReceipt:
    """The goods receipt with this id in this environment, or NotFound."""
    return get_row(session, GoodsReceipt, receipt_id, environment_id=environment_id, what="goods receipt")


def list_receipts(session: Session, order_line_id: int, *, environment_id: int) -> list[GoodsReceipt]:
    """The receipts against one order line."""
    return list(get_order_line(session, order_line_id, environment_id=environment_id).receipts)


# Free matching rules


def _rule_supplier_id(session: Session, data: RuleInput, *, environment_id: int) -> int | None:
    code = blank_to_none(data.supplier_code)
    return supplier_by_code(session, code, environment_id=environment_id).id if code else None


def _apply_rule(row: MatchingRule, data: RuleInput, supplier_id: int | None) -> None:
    row.supplier_id, row.pattern = supplier_id, data.pattern.strip()
    row.is_regex, row.ledger_account = data.is_regex, data.ledger_account.strip()
    row.review_via_workflow = data.review_via_workflow


def create_rule(session: Session, data: RuleInput, *, environment_id: int) -> MatchingRule:
    """A free matching rule: item names matching the pattern (of the supplier, or any) go to the account."""
    check(data, what="matching rule")
    row = MatchingRule(environment_id=environment_id)
    _apply_rule(row, data, _rule_supplier_id(session, data, environment_id=environment_id))
    session.add(row)
    session.flush()
    return row


def update_rule(session: Session, rule_id: int, data: RuleInput, *, environment_id: int) -> MatchingRule:
    """Replace a rule's supplier, pattern, ledger account and review flag."""
    check(data, what="matching rule")
    row = get_rule(session, rule_id, environment_id=environment_id)
    _apply_rule(row, data, _rule_supplier_id(session, data, environment_id=environment_id))
    session.flush()
    return row


def save_rule(session: Session, data: RuleInput, *, environment_id: int) -> tuple[MatchingRule, bool]:
    """Create or update the rule with this supplier and pattern; True when it was created."""
    check(data, what="matching rule")
    supplier_id = _rule_supplier_id(session, data, environment_id=environment_id)
    query = select(MatchingRule).filter_by(
        environment_id=environment_id, supplier_id=supplier_id, pattern=data.pattern.strip()
    )
    row = session.scalars(query).first()
    if row is None:
        return create_rule(session, data, environment_id=environment_id), True
    return update_rule(session, row.id, data, environment_id=environment_id), False


def get_rule(session: Session, rule_id: int, *, environment_id: int) -> MatchingRule:
    """The matching rule with this id in this environment, or NotFound."""
    return get_row(session, MatchingRule, rule_id, environment_id=environment_id, what="matching rule")


def list_rules(
    session: Session,
    *,
    environment_id: int,
    supplier_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[MatchingRule]:
    """Matching rules in the order matching tries them within one supplier (oldest first)."""
    where = [MatchingRule.supplier_id == supplier_id] if supplier_id is not None else []
    return list_rows(
        session, MatchingRule, environment_id=environment_id, order_by=[MatchingRule.id], where=where,
        limit=limit, offset=offset,
    )  # fmt: skip
