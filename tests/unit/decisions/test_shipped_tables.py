"""The shipped tables in dmn/: each row of SPEC.md's default table, the catch-all and the validation checks."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from server.decisions import parse_dmn

ROOT = Path(__file__).resolve().parents[3]
CLEAN = {"confrontation_status_einvoice": 1, "confrontation_status": 0, "confrontation_difference_pct": None,
         "obligation_status": 2, "free_matching_status": 1, "manual_booking_status": 0,
         "bank_account_is_preferred": True, "supplier_match_bank_account": True,
         "administration_match_name": True, "possible_duplicate": False}
# Not auto-approvable (a manual booking), but otherwise unremarkable: shows what each routing row does alone.
MANUAL = {**CLEAN, "manual_booking_status": 1}


@pytest.fixture(scope="module")
def approval():
    return parse_dmn((ROOT / "dmn" / "invoice_approval.dmn").read_bytes(), source="invoice_approval.dmn")


@pytest.fixture(scope="module")
def validation():
    return parse_dmn((ROOT / "dmn" / "invoice_validation.dmn").read_bytes(), source="invoice_validation.dmn")


def route(model, **changes):
    result = model.evaluate("invoice_approval", {**CLEAN, **changes})
    out = result.outputs
    return out["auto_approve"], out["route_type"], out["route_to"], out["reason"], result.matched_rules[0]["index"]


def test_table_is_dmn_13_as_dmn_js_saves_it_with_a_diagram() -> None:
    text = (ROOT / "dmn" / "invoice_approval.dmn").read_text()
    assert 'xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"' in text and "<dmndi:DMNShape" in text
    assert 'hitPolicy="FIRST"' in text


def test_clean_invoice_is_auto_approved_without_match_difference(approval) -> None:
    assert route(approval) == (True, "none", None, "auto-approved: no match difference", 6)


@pytest.mark.parametrize("einvoice", [0, 1])
def test_auto_approval_accepts_confrontation_einvoice_up_to_1(approval, einvoice: int) -> None:
    assert route(approval, confrontation_status_einvoice=einvoice)[0] is True


def test_confrontation_difference_below_one_percent_is_auto_approved(approval) -> None:
    outcome = route(approval, confrontation_status_einvoice=2, confrontation_status=3,
                    confrontation_difference_pct=Decimal("0.99"))
    assert outcome == (True, "none", None, "auto-approved: confrontation difference below 1%", 7)


def test_confrontation_difference_of_one_percent_is_not_auto_approved(approval) -> None:
    outcome = route(approval, confrontation_status_einvoice=2, confrontation_status=3, confrontation_difference_pct=1)
    assert outcome[:3] == (False, "group", "creditors")


@pytest.mark.parametrize("change", [{"obligation_status": 3}, {"free_matching_status": 2},
                                    {"manual_booking_status": 1}, {"bank_account_is_preferred": False}])
def test_each_auto_approval_condition_is_required(approval, change: dict) -> None:
    assert route(approval, **change)[0] is False


def test_matching_difference_goes_to_purchasing(approval) -> None:
    outcome = route(approval, confrontation_status_einvoice=2, obligation_status=3, free_matching_status=2)
    assert outcome == (False, "group", "purchasing", "matching difference", 8)


def test_preferred_bank_account_differs_goes_to_creditors(approval) -> None:
    outcome = route(approval, bank_account_is_preferred=False, supplier_match_bank_account=True)
    assert outcome == (False, "group", "creditors", "preferred bank account differs", 2)


def test_no_match_on_supplier_bank_account_goes_to_creditors(approval) -> None:
    outcome = route(approval, **{**MANUAL, "supplier_match_bank_account": False})
    assert outcome == (False, "group", "creditors", "no match on supplier bank account", 3)


def test_no_match_on_administration_name_goes_to_creditors(approval) -> None:
    outcome = route(approval, **{**MANUAL, "administration_match_name": False})
    assert outcome == (False, "group", "creditors", "no match on administration name", 4)


@pytest.mark.parametrize("change", [{"administration_match_name": False}, {"supplier_match_bank_account": False}])
def test_an_otherwise_clean_invoice_with_a_creditors_exception_is_not_auto_approved(approval, change: dict) -> None:
    # The exception rows come before the auto-approve rows: FIRST must not let them through.
    assert route(approval, **change)[:3] == (False, "group", "creditors")


def test_possible_duplicate_is_evaluated_first(approval) -> None:
    assert route(approval, possible_duplicate=True) == (False, "group", "creditors", "possible duplicate invoice", 1)


def test_every_invoice_gets_a_route(approval) -> None:
    assert route(approval, **MANUAL) == (False, "group", "creditors", "no auto-approval rule matched", 9)
    result = approval.evaluate("invoice_approval", {})
    assert result.outputs["route_to"] == "creditors" and result.matched_rules[0]["index"] == 9


@pytest.mark.parametrize(("inputs", "reasons"), [
    ({"order_number": "6001234"}, []),
    ({"order_number": 6001234}, []),
    ({}, ["order number missing"]),
    ({"order_number": ""}, ["order number missing"]),
    ({"order_number": "4500012"}, ["order number does not start with 6"]),
    ({"order_number": "4500012", "order_prefix": "45"}, []),
    ({"order_number": "6001234", "order_prefix": "45"}, ["order number does not start with 45"]),
])
def test_validation_collects_reasons(validation, inputs: dict, reasons: list) -> None:
    result = validation.evaluate("invoice_validation", inputs)
    assert result.value == reasons and result.outputs["validation_reasons"] == reasons
    assert set(result.outputs) == {"validation_reasons"}  # one key, merged into process data as is


def test_a_table_saved_by_dmn_js_with_each_construct_evaluates_as_expected() -> None:
    model = parse_dmn((ROOT / "tests" / "data" / "dmn" / "dmnjs_constructs.dmn").read_bytes())

    def constructs(inputs: dict) -> list:
        result = model.evaluate(None, inputs)
        # several outputs and several hits: one list of contexts (DMN), under the decision's variable
        assert set(result.outputs) == {"Constructs"} and all(set(row) == {"construct", "value"}
                                                             for row in result.value)
        return result.value

    first = constructs({"amount": 10, "code": "a", "flag": True, "due": "2026-01-31", "order_number": "6001234"})
    assert [row["construct"] for row in first] == ["le", "closed range", "list", "true", "date", "starts with",
                                                   "matches", "length", "empty cell"]
    assert first[-1]["value"] == Decimal(21)
    second = constructs({"amount": 150, "code": "C", "flag": False, "due": "2026-03-01", "order_number": "X1"})
    assert [row["construct"] for row in second] == ["gt", "ge", "not", "empty cell"]
    third = constructs({"amount": 15.5, "code": None, "order_number": None})
    assert [row["construct"] for row in third] == ["closed range", "open range", "paren range", "not", "null",
                                                   "empty cell"]


def test_a_validation_finding_keeps_a_clean_invoice_from_auto_approval(approval) -> None:
    outcome = route(approval, validation_reasons=["order number does not start with 6"])
    assert outcome == (False, "group", "creditors", "validation: order number does not start with 6", 5)


def test_no_validation_findings_leave_auto_approval_alone(approval) -> None:
    assert route(approval, validation_reasons=[])[0] is True
