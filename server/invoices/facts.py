"""What matching reads of an invoice (independent of the UBL parser), and the adapter from a parsed UBL invoice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from server.invoices.ubl_types import Invoice, Party
from server.masterdata.records import Identifier


@dataclass(frozen=True)
class PartyFacts:
    """What an invoice says about a party; identifiers are (scheme, value) pairs as written."""

    names: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    vat_id: str | None = None
    ibans: tuple[str, ...] = ()
    postal_code: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class LineFacts:
    id: str
    quantity: Decimal
    net_amount: Decimal
    unit_price: Decimal | None = None
    item_name: str = ""
    seller_item_id: str | None = None
    order_line_reference: str | None = None


@dataclass(frozen=True)
class InvoiceFacts:
    """The invoice fields matching reads, independent of the UBL parser."""

    number: str
    payable_amount: Decimal
    issue_date: dt.date | None = None
    due_date: dt.date | None = None
    currency: str = "EUR"
    supplier: PartyFacts = PartyFacts()
    customer: PartyFacts = PartyFacts()
    order_reference: str | None = None
    lines: tuple[LineFacts, ...] = ()
    document_type: str = "Invoice"  # or CreditNote


@dataclass(frozen=True)
class EarlierInvoice:
    """An invoice received before, as duplicate detection needs it."""

    number: str
    issue_date: dt.date | None
    payable_amount: Decimal | None
    supplier_id: int | None = None
    supplier_key: str = ""
    id: int | None = None
    document_type: str = "Invoice"


def _party_facts(party: Party, *, ibans: tuple[str, ...] = ()) -> PartyFacts:
    names = tuple(dict.fromkeys(n for n in (*party.trading_names, party.registration_name) if n))
    identifiers = [
        (ident.scheme or "", ident.value)
        for ident in (party.legal_id, party.endpoint, *party.identifiers)
        if ident is not None and ident.value
    ]
    return PartyFacts(
        names=names,
        identifiers=tuple(identifiers),
        vat_id=party.vat_id,
        ibans=ibans,
        postal_code=party.address.postal_code,
        city=party.address.city,
    )


def facts_from_invoice(invoice: Invoice) -> InvoiceFacts:
    """The matching facts of a parsed UBL invoice or credit note."""
    ibans = tuple(pm.iban for pm in invoice.payment_means if pm.iban)
    lines = []
    for line in invoice.lines:
        price = line.price.amount
        if price is not None and line.price.base_quantity:
            price = price / line.price.base_quantity
        quantity = line.quantity if line.quantity is not None else Decimal(0)
        net = line.net_amount if line.net_amount is not None else quantity * (price or Decimal(0))
        lines.append(LineFacts(
            id=line.id, quantity=quantity, net_amount=net, unit_price=price, item_name=line.item_name or "",
            seller_item_id=line.seller_item_id, order_line_reference=line.order_line_reference,
        ))  # fmt: skip
    payable = invoice.totals.payable if invoice.totals.payable is not None else Decimal(0)
    return InvoiceFacts(
        number=invoice.id,
        payable_amount=payable,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency or "EUR",
        supplier=_party_facts(invoice.supplier, ibans=ibans),
        customer=_party_facts(invoice.customer),
        order_reference=invoice.order_reference,
        lines=tuple(lines),
        document_type=invoice.document_type,
    )
