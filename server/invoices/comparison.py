"""What an approver compares, beside the matcher's verdict: each invoice line against its purchase-order line
and goods receipts, the invoice's bank account against the supplier's preferred one, the VAT breakdown.

Pure (standard library and Stroom's frozen records): the same parsed invoice, master data and match result
always give the same comparison. The amounts follow `matching.py`: an order line's expected value is the
received quantity at the order price (the invoiced quantity when nothing was received yet), rounded to
the cent; a line differs when its price, its quantity against the receipts, or its amount differs.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from server.invoices.matching import LineMatch, MatchResult
from server.invoices.ubl_types import Invoice as ParsedInvoice
from server.invoices.ubl_types import Line
from server.masterdata.normalise import normalise_iban
from server.masterdata.records import MasterData, OrderLineRecord, OrderRecord, SupplierRecord

CENT = Decimal("0.01")


@dataclass(frozen=True)
class LineComparison:
    """One invoice line beside its order line and receipts; `via` is "order", "rule", "manual" or "none"."""

    line_id: str
    item: str
    quantity: Decimal | None
    unit_code: str | None
    price: Decimal | None
    amount: Decimal | None
    via: str
    order_number: str | None = None
    order_line: str | None = None
    ordered_quantity: Decimal | None = None
    order_price: Decimal | None = None
    received_quantity: Decimal | None = None
    receipts: tuple[str, ...] = ()
    expected_amount: Decimal | None = None
    difference: Decimal | None = None
    ledger_account: str | None = None
    price_differs: bool = False
    quantity_differs: bool = False
    over_ordered: bool = False

    @property
    def differs(self) -> bool:
        """Whether anything about this line differs from its order or receipts."""
        return self.price_differs or self.quantity_differs or self.over_ordered or bool(self.difference)


@dataclass(frozen=True)
class BankComparison:
    """The invoice's IBANs beside the supplier's preferred one (None without a supplier or preferred account)."""

    invoice_ibans: tuple[str, ...]
    preferred_iban: str | None
    on_file: bool  # one of the invoice's IBANs is among the supplier's accounts
    supplier_code: str | None
    supplier_name: str | None

    @property
    def differs(self) -> bool:
        """True unless the preferred account is among the invoice's IBANs."""
        return self.preferred_iban is None or self.preferred_iban not in {normalise_iban(i) for i in self.invoice_ibans}


@dataclass(frozen=True)
class VatRow:
    """One VAT subtotal: category (S, Z, E, AE, ...), rate, taxable amount, VAT amount, exemption reason."""

    category: str | None
    percent: Decimal | None
    taxable_amount: Decimal | None
    tax_amount: Decimal | None
    exemption_reason: str | None = None


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _unit_price(line: Line) -> Decimal | None:
    price = line.price.amount
    if price is not None and line.price.base_quantity:
        price = price / line.price.base_quantity
    return price


def _against_order(line: Line, base: LineComparison, order: OrderRecord, order_line: OrderLineRecord
                   ) -> LineComparison:
    quantity = line.quantity if line.quantity is not None else Decimal(0)
    received = order_line.received_quantity if order_line.receipts else None
    expected = _money((received if received is not None else quantity) * order_line.unit_price)
    price = _unit_price(line)
    amount = line.net_amount if line.net_amount is not None else _money(quantity * (price or Decimal(0)))
    receipts = tuple(" ".join(p for p in (r.reference, r.received_on.isoformat() if r.received_on else "") if p)
                     for r in order_line.receipts)
    return replace(base, via="order", order_number=order.number, order_line=order_line.line_number,
                   ordered_quantity=order_line.quantity, order_price=order_line.unit_price,
                   received_quantity=received, receipts=receipts, expected_amount=expected,
                   difference=_money(amount) - expected, ledger_account=order_line.ledger_account,
                   price_differs=price is not None and _money(price) != _money(order_line.unit_price),
                   quantity_differs=received is None or received != quantity,
                   over_ordered=quantity > order_line.quantity)


def compare_lines(invoice: ParsedInvoice, masterdata: MasterData, result: MatchResult) -> tuple[LineComparison, ...]:
    """Every invoice line, in order, with its order line and receipts when it is linked to one."""
    order_lines = {ol.id: (order, ol) for order in masterdata.orders if order.id in result.order_ids
                   for ol in order.lines}
    matches: dict[str, LineMatch] = {m.line_id: m for m in result.lines}
    compared = []
    for line in invoice.lines:
        found = matches.get(line.id)
        base = LineComparison(line_id=line.id, item=line.item_name or line.description or "",
                              quantity=line.quantity, unit_code=line.unit_code, price=_unit_price(line),
                              amount=line.net_amount, via=found.via if found else "none",
                              ledger_account=found.ledger_account if found else None)
        linked = order_lines.get(found.order_line_id) if found and found.order_line_id is not None else None
        compared.append(_against_order(line, base, *linked) if linked else base)
    return tuple(compared)


def compare_bank(invoice: ParsedInvoice, masterdata: MasterData, result: MatchResult) -> BankComparison:
    """The invoice's IBANs beside the preferred account of the supplier matching found."""
    supplier: SupplierRecord | None = next((s for s in masterdata.suppliers if s.id == result.supplier_id), None)
    ibans = tuple(dict.fromkeys(pm.iban for pm in invoice.payment_means if pm.iban))
    known = {a.iban for a in supplier.bank_accounts} if supplier else set()
    return BankComparison(invoice_ibans=ibans, preferred_iban=supplier.preferred_iban if supplier else None,
                          on_file=any(normalise_iban(i) in known for i in ibans),
                          supplier_code=supplier.code if supplier else None,
                          supplier_name=supplier.name if supplier else None)


def vat_breakdown(invoice: ParsedInvoice) -> tuple[VatRow, ...]:
    """The VAT subtotals in the document currency (a second TaxTotal in the tax currency is left out)."""
    own = [t for t in invoice.tax_totals if t.currency in (None, invoice.currency) and t.subtotals]
    return tuple(VatRow(s.category, s.percent, s.taxable_amount, s.tax_amount, s.exemption_reason)
                 for total in own[:1] for s in total.subtotals)
