"""The table fast paths (inputs read by name, `= constant` cells compared at once, constant ranges and
comparisons as plain Python comparisons, no runtime state for pure tables) give exactly what FEEL says."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from server.decisions import parse_dmn
from server.decisions.expressions import evaluate_feel
from server.decisions.temporal import YearsMonths
from tests.unit.decisions.builders import table_xml

ROOT = Path(__file__).resolve().parents[3]
CELLS = ["1", "0", '"a"', "true", "false", "null", "< 1", "<= 1", "> 1", ">= 1", "= 1", "!= 1", "[0..2]",
         "(0..2)", "[0..2)", "(0..2]", '["a".."c")', "1, 2", '"a", "b"', "[1, 2]", 'date("2026-01-01")',
         '>= date("2026-01-01")', '[date("2026-01-01")..date("2026-12-31"))', '@"P1D"', '< @"P1D"',
         '(@"P1D"..@"P3D"]', '@"P1Y"', '> @"P1Y"', '[@"P1Y"..@"P2Y")', '"b"', "-1", "[1..3]"]
VALUES: list[Any] = [0, 1, 2, 3, -1, 10 ** 6, 1.0, 0.5, Decimal(1), Decimal("2.5"), True, False, None, "a",
                     "b", "", dt.date(2026, 1, 1), dt.date(2025, 12, 31), dt.datetime(2026, 1, 1, 12),
                     dt.timedelta(days=1), dt.timedelta(days=2), YearsMonths(12), YearsMonths(18), [1],
                     {"a": 1}]


def _model(cell: str) -> Any:
    return parse_dmn(table_xml([([cell], ['"hit"']), (["-"], ['"miss"'])], inputs=[("x", "x", "Any")],
                               outputs=[("r", "string")], hit_policy="FIRST"))


@pytest.mark.parametrize("cell", CELLS)
def test_each_constant_cell_matches_exactly_when_feel_in_says_true(cell: str) -> None:
    model = _model(cell)
    for value in VALUES:
        expected = evaluate_feel(f"x in ({cell})", {"x": value}) is True
        fast = model.evaluate("d", {"x": value})
        generic = model.evaluate("d", MappingProxyType({"x": value}))  # not a dict: the general path
        assert (fast.value == "hit") is expected, (cell, value)
        assert fast.to_json() == generic.to_json() and fast.warnings == generic.warnings == []


def test_true_never_matches_the_number_one_nor_one_true() -> None:
    model = parse_dmn(table_xml([(["1", "true"], ['"both"']), (["-", "true"], ['"flag"']), (["1", "-"], ['"one"'])],
                                inputs=[("n", "n", "number"), ("f", "f", "boolean")], outputs=[("r", "string")],
                                hit_policy="FIRST"))
    assert model.evaluate("d", {"n": 1, "f": True}).value == "both"
    assert model.evaluate("d", {"n": True, "f": 1}).value is None  # neither cell's kind fits
    assert model.evaluate("d", {"n": 1.0, "f": False}).value == "one"
    assert model.evaluate("d", {"n": Decimal(1), "f": 1}).value == "one"


def test_a_missing_input_gives_what_the_general_path_gives() -> None:
    model = _model("null")
    assert model.evaluate("d", {}).value == "hit"  # x is not given: null, as a lookup of an unknown name
    assert model.evaluate("d", {"y": 1}).to_json() == model.evaluate("d", MappingProxyType({"y": 1})).to_json()


def test_the_approval_table_fast_and_general_paths_agree_on_every_mix_of_inputs() -> None:
    model = parse_dmn((ROOT / "dmn" / "invoice_approval.dmn").read_bytes())
    names = ["confrontation_status_einvoice", "confrontation_status", "confrontation_difference_pct",
             "obligation_status", "free_matching_status", "manual_booking_status", "bank_account_is_preferred",
             "supplier_match_bank_account", "administration_match_name", "possible_duplicate"]
    choices: list[Any] = [0, 1, 2, 3, 0.4, 1.5, True, False, None, "1", Decimal(2)]
    for n in range(600):  # a deterministic spread over the combinations
        row = {name: choices[(n * (i + 3) + i * i + n // (i + 1)) % len(choices)] for i, name in enumerate(names)}
        fast, generic = model.evaluate("invoice_approval", row), model.evaluate("invoice_approval",
                                                                                 MappingProxyType(row))
        assert fast.to_json() == generic.to_json() and fast.value == generic.value, row


def test_date_inputs_converted_by_typeref_each_time_and_bad_strings_stay_null() -> None:
    model = parse_dmn(table_xml([(['>= date("2026-07-01")'], ['"late"']), (["null"], ['"none"']),
                                 (["-"], ['"early"'])],
                                inputs=[("d", "due", "date")], outputs=[("r", "string")], hit_policy="FIRST"))
    for _ in range(2):  # the second time from the parse cache
        assert model.evaluate("d", {"due": "2026-08-01"}).value == "late"
        assert model.evaluate("d", {"due": "2026-01-01"}).value == "early"
        assert model.evaluate("d", {"due": "2026-02-30"}).value == "none"
        assert model.evaluate("d", {"due": dt.date(2026, 9, 1)}).value == "late"


def test_a_table_that_can_warn_still_reports_its_warnings() -> None:
    model = parse_dmn(table_xml([(["> 1"], ['"big"']), (["-"], ['"other"'])], inputs=[("x", "date(x)", "Any")],
                                outputs=[("r", "string")], hit_policy="FIRST"))
    result = model.evaluate("d", {"x": 2})
    assert result.value == "other" and result.warnings
    assert model.evaluate("d", {"x": 2}).warnings == result.warnings  # each evaluation its own warnings


def test_results_of_a_constant_rule_are_fresh_objects_each_time() -> None:
    model = parse_dmn((ROOT / "dmn" / "invoice_approval.dmn").read_bytes())
    row = {"possible_duplicate": True, "confrontation_status_einvoice": 1, "confrontation_status": 0,
           "confrontation_difference_pct": None, "obligation_status": 1, "free_matching_status": 0,
           "manual_booking_status": 0, "bank_account_is_preferred": True, "supplier_match_bank_account": True,
           "administration_match_name": True}
    first = model.evaluate("invoice_approval", row)
    first.outputs["reason"] = "changed"
    first.value["reason"] = "changed"
    first.matched_rules[0]["index"] = 99
    again = model.evaluate("invoice_approval", row)
    assert again.outputs["reason"] == again.value["reason"] == "possible duplicate invoice"
    assert again.matched_rules[0]["index"] == 1
