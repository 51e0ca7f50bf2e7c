"""UBL 2.1 Invoice / CreditNote bytes -> Invoice (Peppol BIS 3, EN 16931, SI-UBL 2.0). Pure: no I/O.

Everything goes through `safexml.safe_parse` first (no DTD, no entities, no network, size, depth and
element-count limits); failures are `DocumentError`s with a stable `code`.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TypeAlias

from lxml import etree

from server.invoices.safexml import (
    CAC,
    CBC,
    DEFAULT_MAX_BYTES,
    DocumentError,
    Sniff,
    document_type,
    safe_parse,
    sniff,
)
from server.invoices.ubl_types import (
    Address,
    AllowanceCharge,
    Attachment,
    Contact,
    Identifier,
    Invoice,
    Line,
    MonetaryTotals,
    Party,
    PaymentMeans,
    Price,
    TaxSubtotal,
    TaxTotal,
)

__all__ = ["DocumentError", "Invoice", "Sniff", "parse_invoice", "parse_tree", "sniff"]

NS = {"cac": CAC, "cbc": CBC}
_BRANCH = "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch"
_Element: TypeAlias = etree._Element


def _all(node: _Element, path: str) -> list[_Element]:
    return node.findall(path, NS)


def _first(node: _Element, path: str) -> _Element | None:
    return node.find(path, NS)


def _text(node: _Element, path: str) -> str | None:
    """Stripped text of the first match of a cac:/cbc: path, None when absent or blank."""
    found = _first(node, path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _texts(node: _Element, path: str) -> tuple[str, ...]:
    return tuple(t for t in ((e.text or "").strip() for e in _all(node, path)) if t)


def _decimal(node: _Element, path: str) -> Decimal | None:
    raw = _text(node, path)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise DocumentError("invalid_value", f"{path} is not a number: {raw!r}")
    return value


def _date(node: _Element, path: str) -> dt.date | None:
    raw = _text(node, path)
    if raw is None:
        return None
    try:
        # xsd:date may carry a timezone ("2017-11-13Z", "2017-11-13+01:00"); the calendar day is what counts.
        return dt.date.fromisoformat(raw[:10])
    except ValueError as exc:
        raise DocumentError("invalid_value", f"{path} is not a date: {raw!r}") from exc


def _identifier(node: _Element, path: str) -> Identifier | None:
    found = _first(node, path)
    if found is None or not (found.text or "").strip():
        return None
    return Identifier((found.text or "").strip(), found.get("schemeID"))


def _address(node: _Element | None) -> Address:
    if node is None:
        return Address()
    return Address(
        street=_text(node, "cbc:StreetName"),
        additional_street=_text(node, "cbc:AdditionalStreetName"),
        city=_text(node, "cbc:CityName"),
        postal_code=_text(node, "cbc:PostalZone"),
        region=_text(node, "cbc:CountrySubentity"),
        country=_text(node, "cac:Country/cbc:IdentificationCode"),
    )


def _vat_id(party: _Element) -> str | None:
    """The VAT number: PartyTaxScheme with TaxScheme VAT, else the first PartyTaxScheme."""
    schemes = _all(party, "cac:PartyTaxScheme")
    for scheme in schemes:
        if _text(scheme, "cac:TaxScheme/cbc:ID") == "VAT" and _text(scheme, "cbc:CompanyID"):
            return _text(scheme, "cbc:CompanyID")
    return next((v for v in (_text(s, "cbc:CompanyID") for s in schemes) if v), None)


def _party(root: _Element, path: str) -> Party:
    party = _first(root, path)
    if party is None:
        return Party()
    identifiers = tuple(
        ident for el in _all(party, "cac:PartyIdentification")
        if (ident := _identifier(el, "cbc:ID")) is not None
    )
    names = _texts(party, "cac:PartyName/cbc:Name")
    return Party(
        name=names[0] if names else None,
        registration_name=_text(party, "cac:PartyLegalEntity/cbc:RegistrationName"),
        trading_names=names,
        identifiers=identifiers,
        endpoint=_identifier(party, "cbc:EndpointID"),
        legal_id=_identifier(party, "cac:PartyLegalEntity/cbc:CompanyID"),
        vat_id=_vat_id(party),
        address=_address(_first(party, "cac:PostalAddress")),
        contact=Contact(
            name=_text(party, "cac:Contact/cbc:Name"),
            email=_text(party, "cac:Contact/cbc:ElectronicMail"),
            phone=_text(party, "cac:Contact/cbc:Telephone"),
        ),
    )


def _payment_means(node: _Element) -> PaymentMeans:
    return PaymentMeans(
        code=_text(node, "cbc:PaymentMeansCode"),
        payment_id=_text(node, "cbc:PaymentID"),
        iban=_text(node, "cac:PayeeFinancialAccount/cbc:ID"),
        # Peppol puts the BIC on the branch; plain UBL 2.1 senders often on the institution inside it.
        bic=_text(node, f"{_BRANCH}/cbc:ID") or _text(node, f"{_BRANCH}/cac:FinancialInstitution/cbc:ID"),
        account_name=_text(node, "cac:PayeeFinancialAccount/cbc:Name"),
        due_date=_date(node, "cbc:PaymentDueDate"),
    )


def _allowance_charge(node: _Element) -> AllowanceCharge:
    return AllowanceCharge(
        is_charge=(_text(node, "cbc:ChargeIndicator") or "").lower() == "true",
        amount=_decimal(node, "cbc:Amount"),
        base_amount=_decimal(node, "cbc:BaseAmount"),
        percent=_decimal(node, "cbc:MultiplierFactorNumeric"),
        reason=_text(node, "cbc:AllowanceChargeReason"),
        reason_code=_text(node, "cbc:AllowanceChargeReasonCode"),
        tax_category=_text(node, "cac:TaxCategory/cbc:ID"),
        tax_percent=_decimal(node, "cac:TaxCategory/cbc:Percent"),
    )


def _tax_total(node: _Element) -> TaxTotal:
    amount = _first(node, "cbc:TaxAmount")
    subtotals = tuple(
        TaxSubtotal(
            taxable_amount=_decimal(sub, "cbc:TaxableAmount"),
            tax_amount=_decimal(sub, "cbc:TaxAmount"),
            category=_text(sub, "cac:TaxCategory/cbc:ID"),
            percent=_decimal(sub, "cac:TaxCategory/cbc:Percent"),
            exemption_reason=_text(sub, "cac:TaxCategory/cbc:TaxExemptionReason"),
        )
        for sub in _all(node, "cac:TaxSubtotal")
    )
    return TaxTotal(
        amount=_decimal(node, "cbc:TaxAmount"),
        currency=amount.get("currencyID") if amount is not None else None,
        subtotals=subtotals,
    )


def _totals(root: _Element) -> MonetaryTotals:
    node = _first(root, "cac:LegalMonetaryTotal")
    if node is None:
        return MonetaryTotals()
    return MonetaryTotals(
        line_extension=_decimal(node, "cbc:LineExtensionAmount"),
        tax_exclusive=_decimal(node, "cbc:TaxExclusiveAmount"),
        tax_inclusive=_decimal(node, "cbc:TaxInclusiveAmount"),
        allowance_total=_decimal(node, "cbc:AllowanceTotalAmount"),
        charge_total=_decimal(node, "cbc:ChargeTotalAmount"),
        prepaid=_decimal(node, "cbc:PrepaidAmount"),
        rounding=_decimal(node, "cbc:PayableRoundingAmount"),
        payable=_decimal(node, "cbc:PayableAmount"),
    )


def _line(node: _Element, quantity_tag: str) -> Line:
    quantity = _first(node, quantity_tag)
    base = _first(node, "cac:Price/cbc:BaseQuantity")
    return Line(
        id=_text(node, "cbc:ID") or "",
        quantity=_decimal(node, quantity_tag),
        unit_code=quantity.get("unitCode") if quantity is not None else None,
        net_amount=_decimal(node, "cbc:LineExtensionAmount"),
        item_name=_text(node, "cac:Item/cbc:Name"),
        description=_text(node, "cac:Item/cbc:Description"),
        seller_item_id=_text(node, "cac:Item/cac:SellersItemIdentification/cbc:ID"),
        buyer_item_id=_text(node, "cac:Item/cac:BuyersItemIdentification/cbc:ID"),
        standard_item_id=_identifier(node, "cac:Item/cac:StandardItemIdentification/cbc:ID"),
        order_line_reference=_text(node, "cac:OrderLineReference/cbc:LineID"),
        price=Price(
            amount=_decimal(node, "cac:Price/cbc:PriceAmount"),
            base_quantity=_decimal(node, "cac:Price/cbc:BaseQuantity"),
            base_unit_code=base.get("unitCode") if base is not None else None,
        ),
        tax_category=_text(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:ID"),
        tax_percent=_decimal(node, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent"),
        accounting_cost=_text(node, "cbc:AccountingCost"),
    )


def _attachment(node: _Element) -> Attachment:
    binary = _first(node, "cac:Attachment/cbc:EmbeddedDocumentBinaryObject")
    content = None
    if binary is not None:
        try:
            content = base64.b64decode("".join((binary.text or "").split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DocumentError("invalid_value", "an embedded attachment is not valid base64") from exc
    return Attachment(
        id=_text(node, "cbc:ID"),
        description=_text(node, "cbc:DocumentDescription"),
        filename=binary.get("filename") if binary is not None else None,
        mime_type=binary.get("mimeCode") if binary is not None else None,
        content=content,
        uri=_text(node, "cac:Attachment/cac:ExternalReference/cbc:URI"),
    )


def _due_date(root: _Element) -> dt.date | None:
    """Invoice cbc:DueDate, else PaymentTerms, else PaymentMeans PaymentDueDate (CreditNotes: the latter)."""
    return (
        _date(root, "cbc:DueDate")
        or _date(root, "cac:PaymentTerms/cbc:PaymentDueDate")
        or _date(root, "cac:PaymentMeans/cbc:PaymentDueDate")
    )


def parse_tree(tree: etree._ElementTree) -> Invoice:
    """Read an already safely parsed UBL Invoice/CreditNote tree (see `safexml.safe_parse`)."""
    root = tree.getroot()
    kind = document_type(root)
    prefix = "Invoice" if kind == "Invoice" else "CreditNote"
    quantity_tag = "cbc:InvoicedQuantity" if kind == "Invoice" else "cbc:CreditedQuantity"
    return Invoice(
        document_type=kind,
        id=_text(root, "cbc:ID") or "",
        type_code=_text(root, f"cbc:{prefix}TypeCode"),
        issue_date=_date(root, "cbc:IssueDate"),
        due_date=_due_date(root),
        currency=_text(root, "cbc:DocumentCurrencyCode"),
        tax_currency=_text(root, "cbc:TaxCurrencyCode"),
        buyer_reference=_text(root, "cbc:BuyerReference"),
        order_reference=_text(root, "cac:OrderReference/cbc:ID"),
        sales_order_reference=_text(root, "cac:OrderReference/cbc:SalesOrderID"),
        billing_references=_texts(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        accounting_cost=_text(root, "cbc:AccountingCost"),
        notes=_texts(root, "cbc:Note"),
        customization_id=_text(root, "cbc:CustomizationID"),
        profile_id=_text(root, "cbc:ProfileID"),
        supplier=_party(root, "cac:AccountingSupplierParty/cac:Party"),
        customer=_party(root, "cac:AccountingCustomerParty/cac:Party"),
        payment_means=tuple(_payment_means(n) for n in _all(root, "cac:PaymentMeans")),
        payment_terms=_text(root, "cac:PaymentTerms/cbc:Note"),
        allowance_charges=tuple(_allowance_charge(n) for n in _all(root, "cac:AllowanceCharge")),
        tax_totals=tuple(_tax_total(n) for n in _all(root, "cac:TaxTotal")),
        totals=_totals(root),
        lines=tuple(_line(n, quantity_tag) for n in _all(root, f"cac:{prefix}Line")),
        attachments=tuple(_attachment(n) for n in _all(root, "cac:AdditionalDocumentReference")),
    )


def parse_invoice(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Invoice:
    """Parse untrusted UBL bytes into an Invoice, or raise DocumentError with a stable code."""
    return parse_tree(safe_parse(xml, max_bytes=max_bytes))
