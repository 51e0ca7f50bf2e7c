"""The parsed UBL invoice as frozen dataclasses, and its JSON-safe dictionary form.

Money and quantities are Decimal, dates are datetime.date; absent elements are None or empty tuples.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any


@dataclasses.dataclass(frozen=True)
class Identifier:
    """An identifier with its scheme (schemeID), e.g. ('12345678', '0106') for a KvK number."""

    value: str
    scheme: str | None = None


@dataclasses.dataclass(frozen=True)
class Address:
    street: str | None = None
    additional_street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = None


@dataclasses.dataclass(frozen=True)
class Contact:
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclasses.dataclass(frozen=True)
class Party:
    """A supplier or customer: trading and legal names, identifiers, address and contact."""

    name: str | None = None
    registration_name: str | None = None
    trading_names: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    endpoint: Identifier | None = None
    legal_id: Identifier | None = None
    vat_id: str | None = None
    address: Address = Address()
    contact: Contact = Contact()

    @property
    def display_name(self) -> str:
        """The name people know the party by: trading name, else the registered name."""
        return self.name or self.registration_name or ""


@dataclasses.dataclass(frozen=True)
class PaymentMeans:
    code: str | None = None
    payment_id: str | None = None
    iban: str | None = None
    bic: str | None = None
    account_name: str | None = None
    due_date: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class AllowanceCharge:
    is_charge: bool
    amount: Decimal | None = None
    base_amount: Decimal | None = None
    percent: Decimal | None = None
    reason: str | None = None
    reason_code: str | None = None
    tax_category: str | None = None
    tax_percent: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class TaxSubtotal:
    taxable_amount: Decimal | None = None
    tax_amount: Decimal | None = None
    category: str | None = None
    percent: Decimal | None = None
    exemption_reason: str | None = None


@dataclasses.dataclass(frozen=True)
class TaxTotal:
    amount: Decimal | None = None
    currency: str | None = None
    subtotals: tuple[TaxSubtotal, ...] = ()


@dataclasses.dataclass(frozen=True)
class MonetaryTotals:
    line_extension: Decimal | None = None
    tax_exclusive: Decimal | None = None
    tax_inclusive: Decimal | None = None
    allowance_total: Decimal | None = None
    charge_total: Decimal | None = None
    prepaid: Decimal | None = None
    rounding: Decimal | None = None
    payable: Decimal | None = None


@dataclasses.dataclass(frozen=True)
class Price:
    amount: Decimal | None = None
    base_quantity: Decimal | None = None
    base_unit_code: str | None = None


@dataclasses.dataclass(frozen=True)
class Line:
    """One InvoiceLine or CreditNoteLine."""

    id: str
    quantity: Decimal | None = None
    unit_code: str | None = None
    net_amount: Decimal | None = None
    item_name: str | None = None
    description: str | None = None
    seller_item_id: str | None = None
    buyer_item_id: str | None = None
    standard_item_id: Identifier | None = None
    order_line_reference: str | None = None
    price: Price = Price()
    tax_category: str | None = None
    tax_percent: Decimal | None = None
    accounting_cost: str | None = None


@dataclasses.dataclass(frozen=True)
class Attachment:
    """An AdditionalDocumentReference; `content` holds the decoded embedded bytes (None if external)."""

    id: str | None = None
    description: str | None = None
    filename: str | None = None
    mime_type: str | None = None
    content: bytes | None = dataclasses.field(default=None, repr=False)
    uri: str | None = None

    @property
    def size(self) -> int:
        return len(self.content) if self.content is not None else 0


@dataclasses.dataclass(frozen=True)
class Invoice:
    """A UBL 2.1 Invoice or CreditNote as Stroom reads it."""

    document_type: str
    id: str
    type_code: str | None = None
    issue_date: dt.date | None = None
    due_date: dt.date | None = None
    currency: str | None = None
    tax_currency: str | None = None
    buyer_reference: str | None = None
    order_reference: str | None = None
    sales_order_reference: str | None = None
    billing_references: tuple[str, ...] = ()
    accounting_cost: str | None = None
    notes: tuple[str, ...] = ()
    customization_id: str | None = None
    profile_id: str | None = None
    supplier: Party = Party()
    customer: Party = Party()
    payment_means: tuple[PaymentMeans, ...] = ()
    payment_terms: str | None = None
    allowance_charges: tuple[AllowanceCharge, ...] = ()
    tax_totals: tuple[TaxTotal, ...] = ()
    totals: MonetaryTotals = MonetaryTotals()
    lines: tuple[Line, ...] = ()
    attachments: tuple[Attachment, ...] = ()

    @property
    def iban(self) -> str | None:
        """The first IBAN among the payment means (what payment and matching use)."""
        return next((pm.iban for pm in self.payment_means if pm.iban), None)

    @property
    def tax_amount(self) -> Decimal | None:
        """The VAT total in the document currency (the TaxTotal without subtotals is in tax currency)."""
        own = [t for t in self.tax_totals if t.currency in (None, self.currency)]
        return own[0].amount if own else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: Decimal and dates as strings, attachments with size instead of bytes."""
        result = _jsonable(self)
        assert isinstance(result, dict)
        return result


_PLAIN_TYPES = (str, int, bool, float, type(None))
# Field names per dataclass, read once: dataclasses.fields() per value was most of to_dict's time.
_FIELDS: dict[type, tuple[str, ...]] = {}


def _jsonable(value: Any) -> Any:
    """Recursively turn our dataclasses into plain JSON types (stored with every invoice: kept lean)."""
    kind = type(value)
    if kind in _PLAIN_TYPES:
        return value
    if kind is tuple:
        return [_jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if not (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        return value
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
    fields = {name: _jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Attachment):
        del fields["content"]
        fields["size"] = value.size
    return fields
