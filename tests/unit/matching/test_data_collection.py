"""One story per value of every status field and every match flag of the e-invoice data collection."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

import pytest

from server.invoices.facts import EarlierInvoice
from server.invoices.matching import COLLECTION_FIELDS, match, supplier_key
from server.masterdata.reasons import reason
from server.masterdata.records import MasterData, RuleRecord
from tests.unit.matching.builders import (
    INVOICE,
    MASTERDATA,
    OTHER_KNOWN_IBAN,
    PREFERRED_IBAN,
    TODAY,
    UNKNOWN_IBAN,
    customer_party,
    line,
    order_line,
    supplier_party,
    with_order_lines,
)

EXACT = {
    "confrontation_status_einvoice": 1, "confrontation_status": 3, "obligation_status": 1, "free_matching_status": 0,
    "manual_booking_status": 0, "supplier_match_id": True, "supplier_match_address": True, "supplier_match_name": True,
    "supplier_match_bank_account": True, "bank_account_is_preferred": True, "administration_match_id": True,
    "administration_match_name": True, "administration_match_city": True, "possible_duplicate": False, "days_until_due": 20,
}  # fmt: skip
FREIGHT = line("3", "1", "18.90", "Vrachtkosten", ref=None)
ADVICE = line("3", "1", "18.90", "Advies inrichting magazijn")
UNMATCHED = line("3", "1", "18.90", "Koffiebekers")
NO_ORDER = {"order_reference": None, "lines": (FREIGHT,)}
ONLY_IBAN = supplier_party(names=("Onbekend",), identifiers=(), vat_id=None, postal_code=None, city=None)

# (story, changes to the invoice facts, master data or None for the default, expected fields)
CASES: list[tuple[str, dict[str, Any], MasterData | None, dict[str, Any]]] = [
    ("invoice_matching_order_and_receipts_exactly_has_no_differences", {}, None, EXACT),
    # confrontation_status_einvoice
    ("invoice_without_order_has_no_receipt_confrontation", NO_ORDER, None,
     {"confrontation_status_einvoice": 0, "confrontation_status": 0, "obligation_status": 0}),
    ("invoice_for_order_without_receipts_has_no_receipt_confrontation", {},
     with_order_lines(order_line("1", "10", "5.00"), order_line("2", "2", "20.00")),
     {"confrontation_status_einvoice": 0, "confrontation_status": 1}),
    ("invoice_equal_to_receipts_has_receipts_without_differences", {}, None,
     {"confrontation_status_einvoice": 1}),
    ("invoice_for_more_than_was_received_has_receipts_with_differences", {},
     with_order_lines(order_line("1", "10", "5.00", received=("6", "3")), order_line("2", "2", "20.00", received=("2",))),
     {"confrontation_status_einvoice": 2, "confrontation_status": 3, "obligation_status": 1}),
    ("invoice_with_line_not_yet_received_has_receipts_with_differences", {},
     with_order_lines(order_line("1", "10", "5.00", received=("10",)), order_line("2", "2", "20.00")),
     {"confrontation_status_einvoice": 2, "confrontation_status": 2}),
    # confrontation_status
    ("invoice_without_order_lines_is_not_to_be_matched", NO_ORDER, None,
     {"confrontation_status": 0, "confrontation_difference_amount": None, "confrontation_difference_pct": None}),
    ("invoice_for_order_lines_without_receipts_is_to_be_matched", {},
     with_order_lines(order_line("1", "10", "5.00"), order_line("2", "2", "20.00")),
     {"confrontation_status": 1, "confrontation_difference_amount": None, "confrontation_difference_pct": None}),
    ("invoice_with_some_order_lines_received_is_partially_matched", {},
     with_order_lines(order_line("1", "10", "5.00", received=("4",)), order_line("2", "2", "20.00")),
     {"confrontation_status": 2, "confrontation_difference_amount": None, "confrontation_difference_pct": None}),
    ("invoice_with_every_order_line_received_is_fully_matched_without_difference", {}, None,
     {"confrontation_status": 3, "confrontation_difference_amount": 0.0, "confrontation_difference_pct": 0.0}),
    ("invoice_for_order_lines_whose_matching_was_handled_has_matching_handled", {},
     with_order_lines(order_line("1", "10", "5.00", handled=True), order_line("2", "2", "20.00", handled=True)),
     {"confrontation_status": 4, "confrontation_difference_amount": None, "confrontation_difference_pct": None}),
    # obligation_status
    ("invoice_without_order_reference_has_no_obligation", NO_ORDER, None, {"obligation_status": 0}),
    ("invoice_matching_released_order_has_released_obligation_without_differences", {}, None,
     {"obligation_status": 1}),
    ("invoice_matching_blocked_order_has_blocked_obligation_without_differences", {},
     with_order_lines(*MASTERDATA.orders[0].lines, status="blocked"), {"obligation_status": 2}),
    ("invoice_above_order_price_has_obligation_with_differences", {},
     with_order_lines(order_line("1", "10", "4.50", received=("10",)), order_line("2", "2", "20.00", received=("2",))),
     {"obligation_status": 3, "confrontation_status_einvoice": 2}),
    ("invoice_for_more_than_ordered_has_obligation_with_differences", {},
     with_order_lines(order_line("1", "8", "5.00", received=("10",)), order_line("2", "2", "20.00", received=("2",))),
     {"obligation_status": 3}),
    ("invoice_citing_unknown_order_has_obligation_with_differences", {"order_reference": "PO-9999"}, None,
     {"obligation_status": 3, "confrontation_status": 0}),
    ("invoice_citing_order_line_the_order_lacks_has_obligation_with_differences",
     {"lines": (line("1", "10", "50.00", "Papier A4", ref="7"),)}, None, {"obligation_status": 3}),
    # free_matching_status and manual_booking_status
    ("invoice_with_only_order_lines_needs_no_free_matching", {}, None,
     {"free_matching_status": 0, "manual_booking_status": 0}),
    ("invoice_with_freight_line_is_free_matched", {"lines": (*INVOICE.lines, FREIGHT)}, None,
     {"free_matching_status": 1, "manual_booking_status": 0, "obligation_status": 1}),
    ("invoice_with_advice_line_is_free_matched_for_review_via_workflow", {"lines": (*INVOICE.lines, ADVICE)}, None,
     {"free_matching_status": 2, "manual_booking_status": 0}),
    ("invoice_with_unmatched_line_is_booked_manually", {"lines": (*INVOICE.lines, UNMATCHED)}, None,
     {"free_matching_status": 0, "manual_booking_status": 1}),
    # supplier_match_*
    ("invoice_with_known_kvk_number_matches_supplier_on_id", {}, None, {"supplier_match_id": True}),
    ("invoice_with_vat_id_under_eas_scheme_matches_supplier_on_id",
     {"supplier": supplier_party(identifiers=(("9944", "NL123456789B01"),), vat_id=None)}, None,
     {"supplier_match_id": True}),
    ("invoice_without_known_identifier_has_no_id_match",
     {"supplier": supplier_party(identifiers=(("0106", "99999999"),), vat_id=None)}, None,
     {"supplier_match_id": False, "supplier_match_name": True}),
    ("invoice_with_known_postal_code_matches_supplier_on_address", {}, None, {"supplier_match_address": True}),
    ("invoice_from_other_address_has_no_address_match", {"supplier": supplier_party(postal_code="1011 AA")}, None,
     {"supplier_match_address": False, "supplier_match_id": True}),
    ("invoice_with_known_name_in_other_spelling_matches_supplier_on_name", {}, None, {"supplier_match_name": True}),
    ("invoice_with_other_name_has_no_name_match", {"supplier": supplier_party(names=("Kantoor Jansen",))}, None,
     {"supplier_match_name": False, "supplier_match_id": True}),
    ("invoice_with_iban_on_file_matches_supplier_on_bank_account", {}, None, {"supplier_match_bank_account": True}),
    ("invoice_with_iban_not_on_file_has_no_bank_account_match", {"supplier": supplier_party(ibans=(UNKNOWN_IBAN,))},
     None, {"supplier_match_bank_account": False, "bank_account_is_preferred": False, "supplier_match_id": True}),
    ("invoice_paying_into_another_suppliers_account_has_no_bank_account_match",
     {"supplier": supplier_party(ibans=("NL02ABNA0123456789",))}, None,
     {"supplier_match_bank_account": False, "supplier_match_id": True}),
    ("invoice_found_only_by_iban_matches_supplier_on_bank_account_alone",
     {"supplier": ONLY_IBAN}, None,
     {"supplier_match_bank_account": True, "supplier_match_id": False, "supplier_match_name": False,
          "supplier_match_address": False, "bank_account_is_preferred": True}),
    ("invoice_from_unknown_supplier_matches_nothing",
     {"supplier": supplier_party(names=("Onbekend",), identifiers=(), vat_id=None, postal_code=None,
                                  ibans=(UNKNOWN_IBAN,))}, None,
     {"supplier_match_id": False, "supplier_match_address": False, "supplier_match_name": False,
          "supplier_match_bank_account": False, "bank_account_is_preferred": False}),
    # bank_account_is_preferred
    ("invoice_paying_into_preferred_account_has_preferred_bank_account", {}, None,
     {"bank_account_is_preferred": True}),
    ("invoice_paying_into_other_known_account_has_no_preferred_bank_account",
     {"supplier": supplier_party(ibans=(OTHER_KNOWN_IBAN,))}, None,
     {"bank_account_is_preferred": False, "supplier_match_bank_account": True}),
    ("invoice_without_iban_has_no_preferred_bank_account", {"supplier": supplier_party(ibans=())}, None,
     {"bank_account_is_preferred": False, "supplier_match_bank_account": False}),
    # administration_match_*
    ("invoice_to_known_kvk_number_matches_administration_on_id", {}, None, {"administration_match_id": True}),
    ("invoice_without_known_customer_id_has_no_administration_id_match",
     {"customer": customer_party(identifiers=(), vat_id=None)}, None,
     {"administration_match_id": False, "administration_match_name": True}),
    ("invoice_to_known_name_matches_administration_on_name", {}, None, {"administration_match_name": True}),
    ("invoice_to_former_name_has_no_administration_name_match",
     {"customer": customer_party(names=("Stroom Oud Holding",))}, None,
     {"administration_match_name": False, "administration_match_id": True}),
    ("invoice_to_known_city_matches_administration_on_city", {}, None, {"administration_match_city": True}),
    ("invoice_to_other_city_has_no_administration_city_match", {"customer": customer_party(city="Rotterdam")}, None,
     {"administration_match_city": False, "administration_match_id": True}),
    ("invoice_to_unknown_customer_matches_no_administration",
     {"customer": customer_party(names=("Iemand Anders",), identifiers=(), vat_id=None, city="Zwolle")}, None,
     {"administration_match_id": False, "administration_match_name": False, "administration_match_city": False}),
    # days_until_due
    ("invoice_due_in_twenty_days_has_twenty_days_until_due", {}, None, {"days_until_due": 20}),
    ("overdue_invoice_has_negative_days_until_due", {"due_date": TODAY.replace(day=1, month=2)}, None,
     {"days_until_due": -28}),
    ("invoice_without_due_date_has_no_days_until_due", {"due_date": None}, None, {"days_until_due": None}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "masterdata", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_data_collection(
    changes: dict[str, Any], masterdata: MasterData | None, expected: dict[str, Any]
) -> None:
    facts = dataclasses.replace(INVOICE, **changes)
    collection = match(facts, masterdata or MASTERDATA, today=TODAY).collection()
    assert {key: collection[key] for key in expected} == expected


def test_fully_matched_difference_is_invoice_value_minus_received_value() -> None:
    masterdata = with_order_lines(
        order_line("1", "200", "5.00", received=("199",)), order_line("2", "2", "20.00", received=("2",))
    )
    facts = dataclasses.replace(
        INVOICE,
        lines=(line("1", "200", "1000.00", "Papier A4", ref="1"), line("2", "2", "40.00", "Toner", ref="2")),
    )
    result = match(facts, masterdata, today=TODAY)
    # received 199 x 5.00 + 2 x 20.00 = 1035.00; invoiced 1040.00
    assert (result.confrontation_status, result.confrontation_status_einvoice) == (3, 2)
    assert result.confrontation_difference_amount == Decimal("5.00")
    assert result.confrontation_difference_pct == Decimal("0.48")
    assert result.obligation_status == 1


def test_collection_is_json_with_exactly_the_data_collection_fields() -> None:
    collection = match(INVOICE, MASTERDATA, today=TODAY).collection()
    assert tuple(collection) == COLLECTION_FIELDS
    assert json.loads(json.dumps(collection)) == collection
    assert isinstance(collection["confrontation_difference_amount"], float)


def test_result_names_the_supplier_administration_order_and_line_matches() -> None:
    facts = dataclasses.replace(INVOICE, lines=(*INVOICE.lines, FREIGHT, UNMATCHED))
    result = match(facts, MASTERDATA, today=TODAY)
    assert (result.supplier_id, result.administration_id, result.order_ids) == (1, 10, (50,))
    assert [(m.line_id, m.via, m.ledger_account) for m in result.lines] == [
        ("1", "order", "7000"),
        ("2", "order", "7000"),
        ("3", "rule", "4500"),
        ("3", "manual", None),
    ]
    found = next(r for r in result.reasons if r.code == "supplier_found")
    assert found.values == {"code": "S001", "how": ("id", "bank_account", "name", "address")}
    assert found.text == "supplier S001 found by id, bank_account, name, address"  # the API's sentence, as before


def test_two_suppliers_with_the_same_name_are_ambiguous_and_neither_is_chosen() -> None:
    twin = dataclasses.replace(MASTERDATA.suppliers[1], normalised_name="jansen kantoorartikelen")
    masterdata = dataclasses.replace(MASTERDATA, suppliers=(MASTERDATA.suppliers[0], twin))
    party = supplier_party(identifiers=(), vat_id=None, ibans=(), postal_code=None)
    result = match(dataclasses.replace(INVOICE, supplier=party), masterdata, today=TODAY)
    assert result.supplier_id is None and not result.supplier_match_name
    assert any(reason.code == "supplier_ambiguous" for reason in result.reasons)


def test_identifier_outweighs_a_bank_account_of_another_supplier() -> None:
    party = supplier_party(ibans=("NL02ABNA0123456789",))
    result = match(dataclasses.replace(INVOICE, supplier=party), MASTERDATA, today=TODAY)
    assert result.supplier_id == 1 and not result.supplier_match_bank_account


def test_order_of_another_supplier_is_an_obligation_difference() -> None:
    party = supplier_party(names=("Pieters Transport",), identifiers=(("0106", "23456789"),), vat_id=None)
    result = match(dataclasses.replace(INVOICE, supplier=party), MASTERDATA, today=TODAY)
    assert result.supplier_id == 2 and result.obligation_status == 3


def test_supplier_rules_come_before_rules_for_any_supplier() -> None:
    generic = RuleRecord(id=0, pattern="vracht", ledger_account="9999", review_via_workflow=True)
    masterdata = dataclasses.replace(MASTERDATA, rules=(generic, *MASTERDATA.rules))
    result = match(dataclasses.replace(INVOICE, lines=(*INVOICE.lines, FREIGHT)), masterdata, today=TODAY)
    assert result.free_matching_status == 1 and result.lines[-1].ledger_account == "4500"


def test_unusable_regex_never_matches_and_is_reported() -> None:
    broken = RuleRecord(id=9, pattern="(koffie", ledger_account="4000", is_regex=True)
    masterdata = dataclasses.replace(MASTERDATA, rules=(broken,))
    result = match(dataclasses.replace(INVOICE, lines=(*INVOICE.lines, UNMATCHED)), masterdata, today=TODAY)
    assert result.manual_booking_status == 1
    assert reason("rule_pattern_unusable", rule=9) in result.reasons
    assert "matching rule 9 has an unusable pattern" in [r.text for r in result.reasons]


def test_line_links_to_order_line_by_seller_item_id_without_line_reference() -> None:
    masterdata = with_order_lines(order_line("1", "10", "5.00", received=("10",), item="PAP-A4"))
    facts = dataclasses.replace(INVOICE, lines=(line("1", "10", "50.00", "Papier", item="PAP-A4"),))
    result = match(facts, masterdata, today=TODAY)
    assert (result.confrontation_status, result.confrontation_status_einvoice, result.obligation_status) == (
        3,
        1,
        1,
    )


def test_preferred_iban_is_compared_after_normalising() -> None:
    party = supplier_party(ibans=(PREFERRED_IBAN.lower(),))
    assert match(
        dataclasses.replace(INVOICE, supplier=party), MASTERDATA, today=TODAY
    ).bank_account_is_preferred


SAME_SUPPLIER, OTHER_SUPPLIER = {"supplier_id": 1}, {"supplier_id": 2, "supplier_key": "VAT:NL234567890B01"}
DUPLICATES = [
    ("invoice_with_number_seen_before_from_same_supplier_is_possible_duplicate",
     {"number": " f2026-001 ", "issue_date": None, "payable_amount": None, **SAME_SUPPLIER}, True),
    ("invoice_with_amount_and_date_seen_before_from_same_supplier_is_possible_duplicate",
     {"number": "F2026-000", "issue_date": INVOICE.issue_date, "payable_amount": Decimal("108.90"), **SAME_SUPPLIER},
     True),
    ("invoice_with_number_seen_before_under_same_vat_id_is_possible_duplicate",
     {"number": "F2026-001", "issue_date": None, "payable_amount": None, "supplier_key": "VAT:NL123456789B01"}, True),
    ("invoice_with_same_number_from_other_supplier_is_no_duplicate",
     {"number": "F2026-001", "issue_date": None, "payable_amount": None, **OTHER_SUPPLIER}, False),
    ("invoice_with_same_amount_on_other_date_is_no_duplicate",
     {"number": "F2026-000", "issue_date": TODAY, "payable_amount": Decimal("108.90"), **SAME_SUPPLIER}, False),
    ("invoice_with_number_amount_and_date_of_an_earlier_credit_note_is_no_duplicate",
     {"number": "F2026-001", "issue_date": INVOICE.issue_date, "payable_amount": Decimal("108.90"),
      "document_type": "CreditNote", **SAME_SUPPLIER}, False),
]  # fmt: skip


def test_a_full_credit_note_is_no_duplicate_of_its_invoice_but_of_an_earlier_credit_note() -> None:
    credit = dataclasses.replace(INVOICE, number="C2026-001", document_type="CreditNote")
    invoice = {"number": "F2026-001", "issue_date": INVOICE.issue_date, "payable_amount": Decimal("108.90"),
               **SAME_SUPPLIER}
    assert not match(credit, MASTERDATA, today=TODAY, earlier_invoices=[EarlierInvoice(id=7, **invoice)]
                     ).possible_duplicate
    again = match(credit, MASTERDATA, today=TODAY,
                  earlier_invoices=[EarlierInvoice(id=8, **{**invoice, "number": "C2026-001"},
                                                   document_type="CreditNote")])
    assert again.possible_duplicate and again.duplicate_of == (8,)


@pytest.mark.parametrize(("earlier", "expected"), [d[1:] for d in DUPLICATES], ids=[d[0] for d in DUPLICATES])
def test_possible_duplicate(earlier: dict[str, Any], expected: bool) -> None:
    result = match(INVOICE, MASTERDATA, today=TODAY, earlier_invoices=[EarlierInvoice(id=7, **earlier)])
    assert result.possible_duplicate is expected
    assert result.duplicate_of == ((7,) if expected else ())


def test_supplier_key_prefers_the_vat_id() -> None:
    assert supplier_key(INVOICE.supplier) == "VAT:NL123456789B01"
    assert supplier_key(supplier_party(vat_id=None)) == "0106:12345678"
    assert supplier_key(supplier_party(vat_id=None, identifiers=())) == "name:jansen kantoorartikelen"
