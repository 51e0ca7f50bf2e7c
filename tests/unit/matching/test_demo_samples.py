"""Each shipped sample invoice, matched against the demo master data, reaches its row of the default table."""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from server.decisions import parse_dmn
from server.demo_data import INVOICES, demo_invoice_paths, demo_snapshot
from server.invoices.facts import EarlierInvoice, facts_from_invoice
from server.invoices.matching import MatchResult, match, supplier_key
from server.invoices.ubl import parse_invoice
from server.invoices.validation import validate

REPO = Path(__file__).resolve().parents[3]
TODAY = dt.date(2026, 3, 10)

# sample -> (rule id in dmn/invoice_approval.dmn, route, the data-collection fields that drive it)
EXPECTED: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "auto_approve_exact.xml": ("Rule_auto_no_difference", None, {
        "confrontation_status_einvoice": 1, "confrontation_status": 3, "confrontation_difference_pct": 0.0,
        "obligation_status": 1, "free_matching_status": 0, "manual_booking_status": 0,
        "bank_account_is_preferred": True}),
    "auto_approve_small_difference.xml": ("Rule_auto_small_difference", None, {
        "confrontation_status_einvoice": 2, "confrontation_status": 3, "confrontation_difference_amount": 10.0,
        "confrontation_difference_pct": 0.5, "obligation_status": 1, "free_matching_status": 0,
        "manual_booking_status": 0, "bank_account_is_preferred": True}),
    "matching_difference.xml": ("Rule_matching_difference", "purchasing", {
        "confrontation_status_einvoice": 2, "obligation_status": 3, "free_matching_status": 2}),
    "preferred_bank_differs.xml": ("Rule_preferred_bank_account_differs", "creditors", {
        "bank_account_is_preferred": False, "supplier_match_bank_account": True}),
    "unknown_bank_account.xml": ("Rule_no_supplier_bank_account_match", "creditors", {
        "supplier_match_bank_account": False, "bank_account_is_preferred": False, "supplier_match_id": True}),
    "unknown_administration.xml": ("Rule_no_administration_name_match", "creditors", {
        "administration_match_name": False, "administration_match_id": True, "manual_booking_status": 1}),
    "possible_duplicate_original.xml": ("Rule_auto_no_difference", None, {
        "free_matching_status": 1, "possible_duplicate": False}),
    "possible_duplicate.xml": ("Rule_possible_duplicate", "creditors", {"possible_duplicate": True}),
}  # fmt: skip


def match_in_order() -> dict[str, MatchResult]:
    """Match the samples as if ingested one after another, each seeing the ones before as earlier invoices."""
    masterdata, earlier, results = demo_snapshot(), [], {}
    for path in demo_invoice_paths():
        facts = facts_from_invoice(parse_invoice(path.read_bytes()))
        result = match(facts, masterdata, today=TODAY, earlier_invoices=earlier)
        earlier.append(EarlierInvoice(facts.number, facts.issue_date, facts.payable_amount, result.supplier_id,
                                      supplier_key(facts.supplier)))  # fmt: skip
        results[path.name] = result
    return results


RESULTS = match_in_order()
TABLE = parse_dmn((REPO / "dmn" / "invoice_approval.dmn").read_bytes())


@pytest.mark.parametrize("name", INVOICES)
def test_sample_invoice_reaches_its_row_of_the_default_decision_table(name: str) -> None:
    rule, route, fields = EXPECTED[name]
    collection = RESULTS[name].collection()
    assert {key: collection[key] for key in fields} == fields
    assert RESULTS[name].supplier_id is not None and RESULTS[name].administration_id == 1
    decision = TABLE.evaluate(None, collection)
    assert decision.matched_rules[0]["id"] == rule
    assert decision.outputs["route_to"] == route


def test_every_row_of_the_default_table_has_a_sample() -> None:
    rows = {rule for rule, _, _ in EXPECTED.values()}
    # The validation row is driven by invoice_validation's findings, not by matching: its story is
    # tests/e2e_flows/test_validation_routing.py.
    assert rows == {r for r in _rule_ids() if r not in ("Rule_catch_all", "Rule_validation_finding")}


def _rule_ids() -> list[str]:
    text = (REPO / "dmn" / "invoice_approval.dmn").read_text(encoding="utf-8")
    return [part.split('"')[0] for part in text.split('<rule id="')[1:]]


@pytest.mark.parametrize("name", INVOICES)
def test_sample_invoice_passes_the_official_rules(name: str) -> None:
    report = validate((REPO / "tests" / "data" / "invoices" / name).read_bytes()).to_dict()
    assert (report["accepted"], report["profile"], report["errors"], report["warnings"]) == (True, "peppol", [], [])


@pytest.mark.parametrize("name", INVOICES)
def test_shipped_sample_is_the_test_sample(name: str) -> None:
    shipped = REPO / "server" / "demo_invoices" / name
    assert shipped.read_bytes() == (REPO / "tests" / "data" / "invoices" / name).read_bytes()
