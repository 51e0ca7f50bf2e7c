"""A designer's table (or a hostile upload) never crashes the DMN reader or the FEEL parser and evaluator."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from server.decisions import DecisionError, DecisionParseError, parse_dmn
from server.decisions.compiler import CompileEnv, Scope, compile_expression, compile_unary_tests
from server.decisions.errors import FeelEvaluationError, FeelSyntaxError
from server.decisions.parser import parse_expression, parse_unary_tests
from tests.fuzz.hostile import feel_texts, fuzz_settings, hostile, nested

FEEL_ERRORS = (FeelSyntaxError, FeelEvaluationError)
SCOPE = Scope({"x": Decimal(3), "item": "a", "?": Decimal("1E+999999"), "d": dt.date(2026, 1, 1),
               "list": [Decimal(1), None, "b"]})


def _evaluate(text: str, *, unary: bool) -> object:
    if unary:
        test = compile_unary_tests(text, CompileEnv(known_names=frozenset({"x", "list", "d"})))
        return test(Decimal(3), SCOPE) if test else True
    return compile_expression(text, CompileEnv(known_names=frozenset({"x", "list", "d"})))(SCOPE)


@fuzz_settings(400)
@given(feel_texts(), st.booleans())
@example("(" * 500 + "1" + ")" * 500, False).via("nesting past the recursion limit")
@example("+".join(["1"] * 5000), False).via("a left-leaning tree 5000 deep")
@example("1e999999999 + 1", False).via("a literal beyond the decimal context")
@example("-1e999999 - 1e999999", False).via("an overflowing difference")
@example("1\u00b2", True).via("a digit that is not a decimal digit")
@example("-" * 5000 + "x", False).via("5000 negations")
@example("[1.." + "9" * 5000 + "]", True).via("a range ending in a huge number")
def test_feel_text_parses_and_evaluates_or_raises_a_feel_error(text, unary):
    try:
        (parse_unary_tests if unary else parse_expression)(text)
        _evaluate(text, unary=unary)
    except FEEL_ERRORS as exc:
        assert str(exc)


@fuzz_settings(150)
@given(hostile("dmn"))
@example(nested(300, tag=b"definitions")).via("deeply nested elements")
def test_any_dmn_bytes_compile_or_are_refused_with_a_decision_error(data):
    try:
        model = parse_dmn(data)
    except DecisionParseError as exc:
        assert exc.code == "decision_invalid" and exc.message
        return
    for decision in model.decision_ids[:5]:
        try:
            model.evaluate(decision, {})
        except DecisionError as exc:
            assert exc.message


def _table(cell: str) -> bytes:
    return f"""<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x">
      <decision id="t" name="t"><decisionTable id="dt" hitPolicy="FIRST">
        <input id="i" label="x"><inputExpression id="ie" typeRef="number"><text>x</text></inputExpression></input>
        <output id="o" name="out" typeRef="string"/>
        <rule id="r1"><inputEntry id="e1"><text>{cell}</text></inputEntry>
          <outputEntry id="o1"><text>"hit"</text></outputEntry></rule>
      </decisionTable></decision></definitions>""".encode()


@pytest.mark.parametrize("cell", [
    "(" * 200 + "1" + ")" * 200, "&lt;= " + "+".join(["1"] * 3000), "1e9999999999999999999",
    "[0..1e999999999]", "not(" * 100 + "1" + ")" * 100,
])
def test_a_hostile_cell_refuses_the_table_naming_the_rule_and_column(cell):
    with pytest.raises(DecisionParseError) as refused:
        parse_dmn(_table(cell))
    assert refused.value.rule == 1 and refused.value.column == "x"


@pytest.mark.parametrize("value", [Decimal("1E+999999"), Decimal("-1E+999999"), Decimal("1E-999999"), 10**400,
                                   "x" * 100_000, float("nan"), float("inf")])
def test_huge_or_odd_inputs_evaluate_without_crashing(value):
    model = parse_dmn(_table("&gt; 1, [0..10], not(5)"))
    try:
        result = model.evaluate("t", {"x": value})
    except DecisionError as exc:
        assert exc.message
    else:
        assert result.outputs["out"] in ("hit", None)
