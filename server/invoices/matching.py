"""Pure matching of one invoice against master data, producing the e-invoice data collection.

Standard library only (plus Stroom's pure normalisation and snapshot types): no database, no Flask.
Where SPEC.md and the ERP document leave room, Stroom decides as follows.

Supplier and administration: found as `server.masterdata.lookup` describes (identifier > bank
account > name > address; ties choose none); the `supplier_match_*` and `administration_match_*`
flags say which evidence held for the one chosen. `bank_account_is_preferred` is true when the chosen
supplier's preferred IBAN is among the invoice's IBANs; without an IBAN or a supplier it is false.

Order lines. The invoice's order reference (BT-13) picks the purchase order by number (trimmed, case
ignored). An invoice line links to the order line whose line number equals its order line reference
(BT-132); a line without one links through the seller's item id when exactly one order line has that
item id. Lines are never linked across orders, and without an order reference no line is linked.

Obligation status: 0 without an order reference; 3 when the order is not on file, belongs to another
supplier than the one found, a line refers to an order line the order lacks, the invoiced quantity of
an order line exceeds the ordered quantity, or the invoiced amount of an order line differs from the
invoiced quantity at the order price (to the cent, so line allowances count); otherwise 2 when the
order is blocked and 1 when it is released.

Confrontation (goods receipts) over the distinct order lines linked by the invoice:
- `confrontation_status`: 0 when no line is linked; 4 when every linked order line is marked
  `matching_handled` (the confrontation was closed in the ERP); 1 when none has a receipt yet; 2 when
  some but not all have receipts; 3 when all have. Receipts are totals per order line: quantities
  invoiced earlier are not deducted.
- difference amount (only at 3) = invoiced amount of the linked lines minus the received value
  (received quantity x order price, per order line rounded to the cent); the percentage is that
  difference relative to the received value, signed and rounded to two decimals (None when nothing
  of value was received). A designer wanting a band writes `[-1..1]`.
- `confrontation_status_einvoice`: 0 when no linked order line has a receipt; 2 when any linked order
  line's received quantity differs from the invoiced quantity or its invoiced amount differs from the
  order price (so a linked line without receipts counts as a difference); 1 otherwise.

Free matching and manual booking cover the lines NOT linked to an order line. Each takes the first
rule that matches its item name (`lookup.rule_applies`; the supplier's rules before rules for any
supplier, then by id); an unusable regex never matches and is named in the reasons.
`free_matching_status` is 2 when a chosen rule says "review via workflow", 1 when rules matched
without it, else 0; `manual_booking_status` is 1 when some unlinked line matched no rule.

`possible_duplicate`: an earlier invoice of the same supplier (the same supplier id, or the same
`supplier_key`: VAT id, else first identifier, else name, as the invoice states them) with the same
number (trimmed, case ignored), or with the same payable amount and issue date; an invoice is compared
with earlier invoices only and a credit note with earlier credit notes (a full credit repeats the
invoice's amount, often its date too). `days_until_due` is None without a due date; negative when late.
Credit notes are matched as they read (their amounts are positive in UBL).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from server.invoices.facts import EarlierInvoice, InvoiceFacts, PartyFacts
from server.masterdata.lookup import Found, find_administration, find_supplier, rule_applies, rules_for
from server.masterdata.normalise import (
    normalise_city,
    normalise_iban,
    normalise_identifier,
    normalise_name,
    normalise_postal_code,
)
from server.masterdata.reasons import Reason, reason
from server.masterdata.records import (
    AdministrationRecord,
    Identifier,
    MasterData,
    OrderLineRecord,
    OrderRecord,
    RuleRecord,
    SupplierRecord,
)

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineMatch:
    """How one invoice line was matched: `via` is "order", "rule" or "manual"."""

    line_id: str
    via: str
    order_line_id: int | None = None
    rule_id: int | None = None
    ledger_account: str | None = None


@dataclass(frozen=True)
class MatchResult:
    """Every field of the e-invoice data collection plus what was found and why."""

    confrontation_status_einvoice: int
    confrontation_status: int
    confrontation_difference_amount: Decimal | None
    confrontation_difference_pct: Decimal | None
    obligation_status: int
    free_matching_status: int
    manual_booking_status: int
    supplier_match_id: bool
    supplier_match_address: bool
    supplier_match_name: bool
    supplier_match_bank_account: bool
    bank_account_is_preferred: bool
    administration_match_id: bool
    administration_match_name: bool
    administration_match_city: bool
    possible_duplicate: bool
    days_until_due: int | None
    supplier_id: int | None = None
    administration_id: int | None = None
    order_ids: tuple[int, ...] = ()
    duplicate_of: tuple[int, ...] = ()
    lines: tuple[LineMatch, ...] = ()
    reasons: tuple[Reason, ...] = ()

    def collection(self) -> dict[str, Any]:
        """The data-collection fields as JSON-safe values (what DMN tables and gateways read)."""
        values = {name: getattr(self, name) for name in COLLECTION_FIELDS}
        for name in ("confrontation_difference_amount", "confrontation_difference_pct"):
            values[name] = float(values[name]) if values[name] is not None else None
        return values


COLLECTION_FIELDS = (
    "confrontation_status_einvoice", "confrontation_status", "confrontation_difference_amount",
    "confrontation_difference_pct", "obligation_status", "free_matching_status", "manual_booking_status",
    "supplier_match_id", "supplier_match_address", "supplier_match_name", "supplier_match_bank_account",
    "bank_account_is_preferred", "administration_match_id", "administration_match_name",
    "administration_match_city", "possible_duplicate", "days_until_due",
)  # fmt: skip


@dataclass
class _Linking:
    order: OrderRecord | None = None
    links: dict[str, OrderLineRecord] = field(default_factory=dict)
    differences: list[Reason] = field(default_factory=list)


def match(
    facts: InvoiceFacts,
    masterdata: MasterData,
    *,
    today: dt.date,
    earlier_invoices: Sequence[EarlierInvoice] = (),
) -> MatchResult:
    """Match an invoice against master data; the same inputs always give the same result."""
    reasons: list[Reason] = []
    found_supplier = _find_supplier(facts.supplier, masterdata.suppliers, reasons)
    supplier = found_supplier.record if isinstance(found_supplier.record, SupplierRecord) else None
    found_admin = _find_administration(facts.customer, masterdata.administrations, reasons)
    linking = _link_lines(facts, masterdata.orders, supplier)
    obligation = _obligation_status(facts, linking)
    reasons.extend(linking.differences)
    confrontation = _confrontation(facts, linking, reasons)
    line_matches, free_status, manual_status = _free_matching(
        facts, linking, masterdata.rules, supplier, reasons
    )
    duplicates = _duplicates(facts, supplier, earlier_invoices)
    if duplicates:
        reasons.append(reason("possible_duplicate"))
    preferred = supplier.preferred_iban if supplier else None
    is_preferred = preferred is not None and preferred in _ibans(facts.supplier)
    if supplier is not None and not found_supplier.flags["bank_account"]:
        reasons.append(reason("iban_not_on_file", code=supplier.code))
    elif supplier is not None and not is_preferred:
        reasons.append(reason("iban_not_preferred", code=supplier.code))
    return MatchResult(
        *confrontation,
        obligation_status=obligation,
        free_matching_status=free_status,
        manual_booking_status=manual_status,
        supplier_match_id=found_supplier.flags["id"],
        supplier_match_address=found_supplier.flags["address"],
        supplier_match_name=found_supplier.flags["name"],
        supplier_match_bank_account=found_supplier.flags["bank_account"],
        bank_account_is_preferred=is_preferred,
        administration_match_id=found_admin.flags["id"],
        administration_match_name=found_admin.flags["name"],
        administration_match_city=found_admin.flags["city"],
        possible_duplicate=bool(duplicates),
        days_until_due=(facts.due_date - today).days if facts.due_date else None,
        supplier_id=supplier.id if supplier else None,
        administration_id=found_admin.record.id if found_admin.record else None,
        order_ids=(linking.order.id,) if linking.order else (),
        duplicate_of=tuple(d for d in duplicates if d is not None),
        lines=line_matches,
        reasons=tuple(reasons),
    )


def supplier_key(party: PartyFacts) -> str:
    """A stable key for a supplier as the invoice names it (VAT id, else first identifier, else name)."""
    if party.vat_id:
        return "VAT:" + normalise_identifier("VAT", party.vat_id)[1]
    for scheme, value in party.identifiers:
        normalised = normalise_identifier(scheme, value)
        if normalised[1]:
            return ":".join(normalised)
    return "name:" + normalise_name(party.names[0]) if party.names else ""


def _identifiers(party: PartyFacts) -> list[Identifier]:
    pairs = [normalise_identifier(scheme, value) for scheme, value in party.identifiers]
    if party.vat_id:
        pairs.append(normalise_identifier("VAT", party.vat_id))
    return [pair for pair in pairs if pair[1]]


def _ibans(party: PartyFacts) -> set[str]:
    return {iban for iban in (normalise_iban(value) for value in party.ibans) if iban}


def _find_supplier(party: PartyFacts, suppliers: Sequence[SupplierRecord], reasons: list[Reason]) -> Found:
    found = find_supplier(
        suppliers,
        identifiers=_identifiers(party),
        ibans=_ibans(party),
        names={normalise_name(name) for name in party.names} - {""},
        postal_code=normalise_postal_code(party.postal_code),
        city=normalise_city(party.city),
    )
    reasons.append(found.reason)
    return found


def _find_administration(
    party: PartyFacts, administrations: Sequence[AdministrationRecord], reasons: list[Reason]
) -> Found:
    found = find_administration(
        administrations,
        identifiers=_identifiers(party),
        names={normalise_name(name) for name in party.names} - {""},
        city=normalise_city(party.city),
    )
    reasons.append(found.reason)
    return found


def _link_lines(
    facts: InvoiceFacts, orders: Sequence[OrderRecord], supplier: SupplierRecord | None
) -> _Linking:
    """The invoice's purchase order and the order line each invoice line refers to."""
    linking = _Linking()
    reference = (facts.order_reference or "").strip()
    if not reference:
        return linking
    order = next((o for o in orders if o.number.strip().casefold() == reference.casefold()), None)
    if order is None:
        linking.differences.append(reason("order_not_on_file", order=reference))
        return linking
    linking.order = order
    if supplier is not None and order.supplier_id != supplier.id:
        linking.differences.append(reason("order_of_another_supplier", order=order.number))
    by_number = {line.line_number.strip(): line for line in order.lines}
    for line in facts.lines:
        wanted = (line.order_line_reference or "").strip()
        if wanted:
            if wanted in by_number:
                linking.links[line.id] = by_number[wanted]
            else:
                linking.differences.append(
                    reason("order_line_not_on_order", line=line.id, wanted=wanted, order=order.number)
                )
            continue
        same_item = [o for o in order.lines if line.seller_item_id and o.item_id == line.seller_item_id]
        if len(same_item) == 1:
            linking.links[line.id] = same_item[0]
    return linking


def _invoiced(facts: InvoiceFacts, linking: _Linking) -> dict[int, tuple[OrderLineRecord, Decimal, Decimal]]:
    """Per linked order line id: the line, the invoiced quantity and the invoiced amount."""
    totals: dict[int, tuple[OrderLineRecord, Decimal, Decimal]] = {}
    for line in facts.lines:
        order_line = linking.links.get(line.id)
        if order_line is None:
            continue
        _, quantity, amount = totals.get(order_line.id, (order_line, Decimal(0), Decimal(0)))
        totals[order_line.id] = (order_line, quantity + line.quantity, amount + line.net_amount)
    return totals


def _at_order_price(order_line: OrderLineRecord, quantity: Decimal) -> Decimal:
    return (quantity * order_line.unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def _obligation_status(facts: InvoiceFacts, linking: _Linking) -> int:
    """0 not applicable, 1 released, 2 blocked (both without differences), 3 with differences."""
    if not (facts.order_reference or "").strip():
        return 0
    for order_line, quantity, amount in _invoiced(facts, linking).values():
        if quantity > order_line.quantity:
            linking.differences.append(reason(
                "quantity_exceeds_order", line=order_line.line_number, quantity=quantity, ordered=order_line.quantity
            ))
        expected = _at_order_price(order_line, quantity)
        if amount.quantize(CENT) != expected:
            linking.differences.append(reason(
                "amount_differs_from_order", line=order_line.line_number, amount=amount, expected=expected
            ))
    if linking.differences or linking.order is None:
        return 3
    return 2 if linking.order.status == "blocked" else 1


def _confrontation(
    facts: InvoiceFacts, linking: _Linking, reasons: list[Reason]
) -> tuple[int, int, Decimal | None, Decimal | None]:
    """(status e-invoice, status, difference amount, difference pct) against goods receipts."""
    invoiced = list(_invoiced(facts, linking).values())
    if not invoiced:
        return 0, 0, None, None
    received = [(line, quantity, amount) for line, quantity, amount in invoiced if line.receipts]
    differs = any(
        line.received_quantity != quantity or amount.quantize(CENT) != _at_order_price(line, quantity)
        for line, quantity, amount in invoiced
    )
    einvoice = 0 if not received else 2 if differs else 1
    if einvoice == 2:
        reasons.append(reason("receipts_differ"))
    if all(line.matching_handled for line, _, _ in invoiced):
        return einvoice, 4, None, None
    if len(received) < len(invoiced):
        return einvoice, 2 if received else 1, None, None
    value = sum((_at_order_price(line, line.received_quantity) for line, _, _ in invoiced), Decimal(0))
    difference = sum((amount for _, _, amount in invoiced), Decimal(0)).quantize(CENT) - value
    pct = (difference * 100 / value).quantize(CENT, rounding=ROUND_HALF_UP) if value else None
    return einvoice, 3, difference, pct


def _free_matching(
    facts: InvoiceFacts,
    linking: _Linking,
    rules: Sequence[RuleRecord],
    supplier: SupplierRecord | None,
    reasons: list[Reason],
) -> tuple[tuple[LineMatch, ...], int, int]:
    """Per-line matches, the free matching status and the manual booking status."""
    usable = rules_for(rules, supplier.id if supplier else None)
    reasons.extend(
        reason("rule_pattern_unusable", rule=r.id) for r in usable if rule_applies(r, "") is None
    )
    matches: list[LineMatch] = []
    for line in facts.lines:
        order_line = linking.links.get(line.id)
        if order_line is not None:
            matches.append(
                LineMatch(
                    line.id, "order", order_line_id=order_line.id, ledger_account=order_line.ledger_account
                )
            )
            continue
        chosen_rule = next((r for r in usable if rule_applies(r, line.item_name)), None)
        if chosen_rule is None:
            matches.append(LineMatch(line.id, "manual"))
            reasons.append(reason("line_unmatched", line=line.id, item=line.item_name))
        else:
            matches.append(
                LineMatch(line.id, "rule", rule_id=chosen_rule.id, ledger_account=chosen_rule.ledger_account)
            )
            if chosen_rule.review_via_workflow:
                reasons.append(reason("line_rule_to_review", line=line.id, rule=chosen_rule.id))
    chosen = [r for r in usable if any(m.rule_id == r.id for m in matches)]
    free = 2 if any(r.review_via_workflow for r in chosen) else 1 if chosen else 0
    manual = 1 if any(m.via == "manual" for m in matches) else 0
    return tuple(matches), free, manual


def _duplicates(
    facts: InvoiceFacts, supplier: SupplierRecord | None, earlier: Sequence[EarlierInvoice]
) -> list[int | None]:
    """Ids of earlier invoices this one may duplicate."""
    key = supplier_key(facts.supplier)
    number = facts.number.strip().casefold()
    found: list[int | None] = []
    for other in earlier:
        if other.document_type != facts.document_type:
            continue
        same_supplier = (supplier is not None and other.supplier_id == supplier.id) or (
            bool(key) and other.supplier_key == key
        )
        same_number = other.number.strip().casefold() == number
        same_amount_and_date = (
            other.issue_date is not None
            and other.issue_date == facts.issue_date
            and other.payable_amount is not None
            and other.payable_amount == facts.payable_amount
        )
        if same_supplier and (same_number or same_amount_and_date):
            found.append(other.id)
    return found
