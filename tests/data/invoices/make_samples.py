"""Writes the demo sample invoices (Peppol BIS Billing 3.0 UBL), one per row of the default decision table.

    .venv/bin/python tests/data/invoices/make_samples.py

Writes into this folder and into server/demo_invoices/ (shipped with the package for `stroom demo`).
The parties, IBANs, orders and lines fit the demo master data in server/demo_data.py; the layout
follows the corpus' base-example.xml. Amounts are computed here so the totals always add up.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
SHIPPED = HERE.parents[2] / "server" / "demo_invoices"
CENT = Decimal("0.01")
VAT_RATE = Decimal(21)


@dataclass(frozen=True)
class Party:
    kvk: str
    name: str
    street: str
    postal_code: str
    city: str
    vat: str
    email: str = ""


@dataclass(frozen=True)
class Line:
    quantity: str
    price: str
    name: str
    item_id: str = ""
    order_line: str = ""
    unit: str = "C62"


JANSEN = Party("12345678", "Jansen Kantoorartikelen B.V.", "Oudegracht 1", "3511 AB", "Utrecht", "NL123456789B01",
               "facturen@jansen.example")
PIETERS = Party("23456789", "Pieters Transport B.V.", "Grote Markt 2", "9712 CD", "Groningen", "NL234567890B01",
                "administratie@pieters.example")
DE_VRIES = Party("34567890", "De Vries Installatietechniek B.V.", "Coolsingel 3", "3012 AA", "Rotterdam",
                 "NL345678901B01", "debiteuren@devries.example")
STROOM = Party("87654321", "Stroom Demo B.V.", "Herengracht 100", "1015 BS", "Amsterdam", "NL876543210B01",
               "crediteuren@stroom.example")
STROOM_OTHER_NAME = Party("87654321", "Stroom Holding B.V.", "Herengracht 100", "1015 BS", "Amsterdam",
                          "NL876543210B01", "crediteuren@stroom.example")


def _money(value: Decimal) -> str:
    return f"{value.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def _party(party: Party, *, role: str) -> str:
    contact = f"<cac:Contact><cbc:ElectronicMail>{party.email}</cbc:ElectronicMail></cac:Contact>" if party.email else ""
    return f"""
    <cac:{role}>
        <cac:Party>
            <cbc:EndpointID schemeID="0106">{party.kvk}</cbc:EndpointID>
            <cac:PartyName>
                <cbc:Name>{escape(party.name)}</cbc:Name>
            </cac:PartyName>
            <cac:PostalAddress>
                <cbc:StreetName>{escape(party.street)}</cbc:StreetName>
                <cbc:CityName>{party.city}</cbc:CityName>
                <cbc:PostalZone>{party.postal_code}</cbc:PostalZone>
                <cac:Country>
                    <cbc:IdentificationCode>NL</cbc:IdentificationCode>
                </cac:Country>
            </cac:PostalAddress>
            <cac:PartyTaxScheme>
                <cbc:CompanyID>{party.vat}</cbc:CompanyID>
                <cac:TaxScheme>
                    <cbc:ID>VAT</cbc:ID>
                </cac:TaxScheme>
            </cac:PartyTaxScheme>
            <cac:PartyLegalEntity>
                <cbc:RegistrationName>{escape(party.name)}</cbc:RegistrationName>
                <cbc:CompanyID schemeID="0106">{party.kvk}</cbc:CompanyID>
            </cac:PartyLegalEntity>
            {contact}
        </cac:Party>
    </cac:{role}>"""


def _line(number: int, line: Line) -> str:
    net = Decimal(line.quantity) * Decimal(line.price)
    order_ref = (
        f"<cac:OrderLineReference><cbc:LineID>{line.order_line}</cbc:LineID></cac:OrderLineReference>"
        if line.order_line else ""
    )
    seller_id = (
        f"<cac:SellersItemIdentification><cbc:ID>{line.item_id}</cbc:ID></cac:SellersItemIdentification>"
        if line.item_id else ""
    )
    return f"""
    <cac:InvoiceLine>
        <cbc:ID>{number}</cbc:ID>
        <cbc:InvoicedQuantity unitCode="{line.unit}">{line.quantity}</cbc:InvoicedQuantity>
        <cbc:LineExtensionAmount currencyID="EUR">{_money(net)}</cbc:LineExtensionAmount>
        {order_ref}
        <cac:Item>
            <cbc:Name>{escape(line.name)}</cbc:Name>
            {seller_id}
            <cac:ClassifiedTaxCategory>
                <cbc:ID>S</cbc:ID>
                <cbc:Percent>{VAT_RATE}</cbc:Percent>
                <cac:TaxScheme>
                    <cbc:ID>VAT</cbc:ID>
                </cac:TaxScheme>
            </cac:ClassifiedTaxCategory>
        </cac:Item>
        <cac:Price>
            <cbc:PriceAmount currencyID="EUR">{line.price}</cbc:PriceAmount>
        </cac:Price>
    </cac:InvoiceLine>"""


def invoice(
    number: str, issue: str, due: str, supplier: Party, iban: str, lines: list[Line], *,
    customer: Party = STROOM, order: str = "",
) -> str:
    """One Peppol BIS 3 invoice with 21% VAT on every line."""
    net = sum((Decimal(line.quantity) * Decimal(line.price)).quantize(CENT) for line in lines)
    vat = (net * VAT_RATE / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    order_ref = f"<cac:OrderReference><cbc:ID>{order}</cbc:ID></cac:OrderReference>" if order else ""
    body = "".join(_line(i, line) for i, line in enumerate(lines, start=1))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
    <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0</cbc:CustomizationID>
    <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
    <cbc:ID>{number}</cbc:ID>
    <cbc:IssueDate>{issue}</cbc:IssueDate>
    <cbc:DueDate>{due}</cbc:DueDate>
    <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
    <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
    <cbc:BuyerReference>STROOM-INKOOP</cbc:BuyerReference>
    {order_ref}{_party(supplier, role="AccountingSupplierParty")}{_party(customer, role="AccountingCustomerParty")}
    <cac:PaymentMeans>
        <cbc:PaymentMeansCode name="Credit transfer">30</cbc:PaymentMeansCode>
        <cbc:PaymentID>{number}</cbc:PaymentID>
        <cac:PayeeFinancialAccount>
            <cbc:ID>{iban}</cbc:ID>
            <cbc:Name>{escape(supplier.name)}</cbc:Name>
        </cac:PayeeFinancialAccount>
    </cac:PaymentMeans>
    <cac:PaymentTerms>
        <cbc:Note>Betaling binnen 30 dagen</cbc:Note>
    </cac:PaymentTerms>
    <cac:TaxTotal>
        <cbc:TaxAmount currencyID="EUR">{_money(vat)}</cbc:TaxAmount>
        <cac:TaxSubtotal>
            <cbc:TaxableAmount currencyID="EUR">{_money(net)}</cbc:TaxableAmount>
            <cbc:TaxAmount currencyID="EUR">{_money(vat)}</cbc:TaxAmount>
            <cac:TaxCategory>
                <cbc:ID>S</cbc:ID>
                <cbc:Percent>{VAT_RATE}</cbc:Percent>
                <cac:TaxScheme>
                    <cbc:ID>VAT</cbc:ID>
                </cac:TaxScheme>
            </cac:TaxCategory>
        </cac:TaxSubtotal>
    </cac:TaxTotal>
    <cac:LegalMonetaryTotal>
        <cbc:LineExtensionAmount currencyID="EUR">{_money(net)}</cbc:LineExtensionAmount>
        <cbc:TaxExclusiveAmount currencyID="EUR">{_money(net)}</cbc:TaxExclusiveAmount>
        <cbc:TaxInclusiveAmount currencyID="EUR">{_money(net + vat)}</cbc:TaxInclusiveAmount>
        <cbc:PayableAmount currencyID="EUR">{_money(net + vat)}</cbc:PayableAmount>
    </cac:LegalMonetaryTotal>{body}
</Invoice>
"""


SAMPLES = {
    "auto_approve_exact.xml": invoice(
        "JK-2026-0101", "2026-03-02", "2026-04-01", JANSEN, "NL91ABNA0417164300",
        [Line("100", "4.50", "Papier A4, 500 vel", "PAP-A4", "1"), Line("4", "62.00", "Toner zwart", "TON-ZW", "2")],
        order="6001001",
    ),
    "auto_approve_small_difference.xml": invoice(
        "JK-2026-0102", "2026-03-03", "2026-04-02", JANSEN, "NL91ABNA0417164300",
        [Line("200", "10.00", "Kabelgoot 60 mm per meter", "KG-60", "1", unit="MTR")], order="6001002",
    ),
    "matching_difference.xml": invoice(
        "DVI-2026-031", "2026-03-04", "2026-04-03", DE_VRIES, "NL20INGB0001234567",
        [Line("10", "72.00", "Installatiewerkzaamheden per uur", "INST-UUR", "1", unit="HUR"),
         Line("1", "350.00", "Advies energiebesparing")],
        order="6001003",
    ),
    "preferred_bank_differs.xml": invoice(
        "PT-2026-0410", "2026-03-05", "2026-04-04", PIETERS, "NL16BUNQ2034567890",
        [Line("1", "250.00", "Transport Amsterdam - Groningen")],
    ),
    "unknown_bank_account.xml": invoice(
        "PT-2026-0411", "2026-03-06", "2026-04-05", PIETERS, "NL57SNSB0911111111",
        [Line("1", "180.00", "Transport Utrecht - Groningen")],
    ),
    "unknown_administration.xml": invoice(
        "JK-2026-0103", "2026-03-09", "2026-04-08", JANSEN, "NL91ABNA0417164300",
        [Line("6", "12.50", "Koffiebonen 1 kg")], customer=STROOM_OTHER_NAME,
    ),
    "possible_duplicate_original.xml": invoice(
        "JK-2026-0090", "2026-02-16", "2026-03-18", JANSEN, "NL91ABNA0417164300", [Line("1", "15.00", "Vrachtkosten")],
    ),
    "possible_duplicate.xml": invoice(
        "JK-2026-0090", "2026-03-10", "2026-04-09", JANSEN, "NL91ABNA0417164300", [Line("1", "15.00", "Vrachtkosten")],
    ),
}  # fmt: skip


def main() -> None:
    SHIPPED.mkdir(exist_ok=True)
    for name, text in SAMPLES.items():
        for folder in (HERE, SHIPPED):
            (folder / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(SAMPLES)} invoices to {HERE} and {SHIPPED}")


if __name__ == "__main__":
    main()
