"""Warm a process up for validation: compile the rulesets, load the schemas, run a realistic invoice.

Saxon's first transform of real content is 10-20 times slower than the next ones (lazy initialisation
inside the stylesheets), and a tiny document does not trigger enough of it; so the warm-up runs a
complete synthetic invoice (written for Stroom, not taken from any corpus) through every ruleset.
"""
from __future__ import annotations

import time

from server.invoices.rulesets import RULESETS, compile_rulesets
from server.invoices.validation import NLCIUS, PEPPOL_BIS3, load_schemas, validate

_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:CustomizationID>{customization}</cbc:CustomizationID>
 <cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>
 <cbc:ID>WARMUP-1</cbc:ID>
 <cbc:IssueDate>2024-01-15</cbc:IssueDate>
 <cbc:DueDate>2024-02-14</cbc:DueDate>
 <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
 <cbc:Note>Warm-up invoice</cbc:Note>
 <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
 <cbc:BuyerReference>WARMUP</cbc:BuyerReference>
 <cac:OrderReference><cbc:ID>6001</cbc:ID></cac:OrderReference>
 <cac:AccountingSupplierParty><cac:Party>
  <cbc:EndpointID schemeID="0106">12345678</cbc:EndpointID>
  <cac:PartyIdentification><cbc:ID schemeID="0106">12345678</cbc:ID></cac:PartyIdentification>
  <cac:PartyName><cbc:Name>Warm Supplier</cbc:Name></cac:PartyName>
  <cac:PostalAddress><cbc:StreetName>Straat 1</cbc:StreetName><cbc:CityName>Utrecht</cbc:CityName>
   <cbc:PostalZone>3511 AA</cbc:PostalZone><cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyTaxScheme><cbc:CompanyID>NL123456789B01</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
  <cac:PartyLegalEntity><cbc:RegistrationName>Warm Supplier B.V.</cbc:RegistrationName>
   <cbc:CompanyID schemeID="0106">12345678</cbc:CompanyID></cac:PartyLegalEntity>
  <cac:Contact><cbc:Name>Desk</cbc:Name><cbc:ElectronicMail>desk@example.com</cbc:ElectronicMail></cac:Contact>
 </cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party>
  <cbc:EndpointID schemeID="0106">87654321</cbc:EndpointID>
  <cac:PartyName><cbc:Name>Warm Customer</cbc:Name></cac:PartyName>
  <cac:PostalAddress><cbc:StreetName>Weg 2</cbc:StreetName><cbc:CityName>Delft</cbc:CityName>
   <cbc:PostalZone>2611 AB</cbc:PostalZone><cac:Country><cbc:IdentificationCode>NL</cbc:IdentificationCode></cac:Country>
  </cac:PostalAddress>
  <cac:PartyLegalEntity><cbc:RegistrationName>Warm Customer B.V.</cbc:RegistrationName>
   <cbc:CompanyID schemeID="0106">87654321</cbc:CompanyID></cac:PartyLegalEntity>
 </cac:Party></cac:AccountingCustomerParty>
 <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cbc:PaymentID>WARMUP-1</cbc:PaymentID>
  <cac:PayeeFinancialAccount><cbc:ID>NL91ABNA0417164300</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
 <cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:AllowanceChargeReason>Freight</cbc:AllowanceChargeReason>
  <cbc:Amount currencyID="EUR">10.00</cbc:Amount>
  <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
 </cac:AllowanceCharge>
 <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">23.10</cbc:TaxAmount>
  <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">110.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">23.10</cbc:TaxAmount>
   <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory>
  </cac:TaxSubtotal></cac:TaxTotal>
 <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cbc:TaxExclusiveAmount currencyID="EUR">110.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">133.10</cbc:TaxInclusiveAmount>
  <cbc:ChargeTotalAmount currencyID="EUR">10.00</cbc:ChargeTotalAmount><cbc:PayableAmount currencyID="EUR">133.10</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">4</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
  <cac:OrderLineReference><cbc:LineID>1</cbc:LineID></cac:OrderLineReference>
  <cac:Item><cbc:Name>Widget</cbc:Name><cac:SellersItemIdentification><cbc:ID>W-1</cbc:ID></cac:SellersItemIdentification>
   <cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>21</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory>
  </cac:Item>
  <cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
</Invoice>
"""


def warmup_invoice(customization_id: str = PEPPOL_BIS3) -> bytes:
    """A complete, valid synthetic invoice with the given CustomizationID."""
    return _TEMPLATE.format(customization=customization_id).encode("utf-8")


def warm_up() -> float:
    """Compile every ruleset, load both schemas and run each profile twice; returns seconds."""
    start = time.perf_counter()
    compile_rulesets(RULESETS)
    load_schemas()
    for customization in (PEPPOL_BIS3, NLCIUS, "urn:cen.eu:en16931:2017"):
        for _ in range(2):
            validate(warmup_invoice(customization))
    return time.perf_counter() - start
