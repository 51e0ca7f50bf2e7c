"""Hit policies, output values, default outputs, required decisions and literal decisions."""
from __future__ import annotations

from decimal import Decimal

import pytest

from server.decisions import DecisionError, parse_dmn
from tests.unit.decisions.builders import literal_xml, table_xml

AGE = [("Age", "age", "number")]
RULES = [([">= 18"], ['"adult"']), ([">= 12"], ['"teen"']), (["< 12"], ['"child"'])]


def decide(hit_policy: str, age: int, **kwargs: object) -> object:
    xml = table_xml(kwargs.pop("rules", RULES), inputs=AGE, outputs=[("group", "string")],  # type: ignore[arg-type]
                    hit_policy=hit_policy, **kwargs)  # type: ignore[arg-type]
    return parse_dmn(xml).evaluate("d", {"age": age})


def test_first_takes_the_first_matching_rule() -> None:
    result = decide("FIRST", 20)
    assert result.value == "adult"
    assert result.outputs == {"group": "adult", "d": "adult"}
    assert [r["index"] for r in result.matched_rules] == [1]


def test_unique_with_two_matching_rules_is_an_error_naming_the_rules() -> None:
    with pytest.raises(DecisionError) as caught:
        decide("UNIQUE", 20)
    assert caught.value.decision == "d" and caught.value.rule == 2
    assert "rules 1, 2" in str(caught.value)


def test_unique_with_one_match_and_with_none() -> None:
    assert decide("UNIQUE", 5).value == "child"
    none = decide("UNIQUE", None)  # type: ignore[arg-type]
    assert none.value is None and none.matched_rules == () and none.outputs == {"group": None, "d": None}


def test_any_accepts_equal_outputs_and_refuses_different_ones() -> None:
    same = [([">= 18"], ['"yes"']), ([">= 12"], ['"yes"'])]
    assert decide("ANY", 20, rules=same).value == "yes"
    with pytest.raises(DecisionError, match="different outputs"):
        decide("ANY", 20)


def test_priority_follows_the_order_of_output_values() -> None:
    result = decide("PRIORITY", 20, output_values={"group": '"teen", "adult", "child"'})
    assert result.value == "teen"
    assert [r["index"] for r in result.matched_rules] == [2]


def test_rule_order_and_output_order() -> None:
    assert decide("RULE ORDER", 20).value == ["adult", "teen"]
    ordered = decide("OUTPUT ORDER", 20, output_values={"group": '"teen", "adult", "child"'})
    assert ordered.value == ["teen", "adult"]
    assert ordered.outputs["group"] == ["teen", "adult"]
    assert [r["index"] for r in ordered.matched_rules] == [2, 1]


@pytest.mark.parametrize(("aggregation", "expected"), [
    (None, [Decimal(100), Decimal(200), Decimal(300)]), ("SUM", Decimal(600)), ("MIN", Decimal(100)),
    ("MAX", Decimal(300)), ("COUNT", Decimal(3)),
])
def test_collect_and_its_aggregations(aggregation: str | None, expected: object) -> None:
    rules = [([">1"], ["100"]), ([">2"], ["200"]), ([">3"], ["300"]), ([">9"], ["900"])]
    xml = table_xml(rules, inputs=[("Years", "years", "number")], outputs=[("amount", "number")],
                    hit_policy="COLLECT", aggregation=aggregation)
    assert parse_dmn(xml).evaluate("d", {"years": 5}).value == expected


def test_collect_without_matches() -> None:
    rules = [([">1"], ["100"])]
    for aggregation, expected in ((None, []), ("SUM", None), ("COUNT", Decimal(0))):
        xml = table_xml(rules, inputs=[("Years", "years", "number")], outputs=[("amount", "number")],
                        hit_policy="COLLECT", aggregation=aggregation)
        assert parse_dmn(xml).evaluate("d", {"years": 0}).value == expected


def test_several_outputs_give_a_context_and_defaults_apply_when_nothing_matches() -> None:
    xml = table_xml([(["true"], ['"Approved"', '"Best"'])], inputs=[("ok", "ok", "boolean")],
                    outputs=[("Status", "string"), ("Rate", "string")],
                    defaults={"Status": '"Declined"', "Rate": '"Standard"'})
    model = parse_dmn(xml)
    assert model.evaluate("d", {"ok": True}).value == {"Status": "Approved", "Rate": "Best"}
    fallback = model.evaluate("d", {"ok": False})
    assert fallback.value == {"Status": "Declined", "Rate": "Standard"}
    assert fallback.outputs == {"Status": "Declined", "Rate": "Standard"} and fallback.matched_rules == ()


def test_output_entries_are_expressions_over_the_inputs() -> None:
    xml = table_xml([(["-"], ["amount * 2", 'if amount > 10 then "high" else "low"'])],
                    inputs=[("Amount", "amount", "number")], outputs=[("double", "number"), ("band", "string")])
    assert parse_dmn(xml).evaluate("d", {"amount": 7.5}).value == {"double": Decimal(15), "band": "low"}


def test_required_decisions_run_first_and_their_results_are_available_by_name() -> None:
    xml = literal_xml({"base": "amount * 2", "total": "base + 1", "label": 'if total > 10 then "big" else "small"'},
                      requires={"total": ["base"], "label": ["total"]})
    model = parse_dmn(xml)
    result = model.evaluate(None, {"amount": 5})  # the top decision
    assert result.decision_id == "label" and result.value == "big"
    assert result.trace["required_decisions"][0]["decision_id"] == "total"
    assert result.trace["required_decisions"][0]["required_decisions"][0]["outputs"] == {"base": 10}
    assert model.evaluate("total", {"amount": 1}).value == Decimal(3)


@pytest.mark.parametrize(("a", "b", "conjunction", "disjunction"), [
    (True, True, True, True), (True, False, False, True), (None, False, False, None), (None, True, None, True),
    (False, None, False, None), (None, None, None, None),
])
def test_literal_decisions_use_three_valued_logic(a: object, b: object, conjunction: object,
                                                  disjunction: object) -> None:
    model = parse_dmn(literal_xml({"both": "A and B", "either": "A or B"}))
    assert model.evaluate("both", {"A": a, "B": b}).value is conjunction
    assert model.evaluate("either", {"A": a, "B": b}).value is disjunction


@pytest.mark.parametrize("namespace", [
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd", "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/", "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
])
def test_every_dmn_version_namespace_is_read(namespace: str) -> None:
    xml = table_xml(RULES, inputs=AGE, outputs=[("group", "string")], hit_policy="FIRST", namespace=namespace)
    assert parse_dmn(xml).evaluate("d", {"age": 13}).value == "teen"


def test_several_top_decisions_need_a_name_and_unknown_ids_are_errors() -> None:
    model = parse_dmn(literal_xml({"a": "1", "b": "2"}))
    with pytest.raises(DecisionError, match="several top-level decisions"):
        model.evaluate(None, {})
    with pytest.raises(DecisionError, match="no decision 'c'"):
        model.evaluate("c", {})


def test_result_json_is_plain() -> None:
    xml = table_xml([(["-"], ["amount / 4", 'date("2026-01-31")'])], inputs=[("Amount", "amount", "number")],
                    outputs=[("quarter", "number"), ("when", "date")])
    body = parse_dmn(xml).evaluate("d", {"amount": 10}).to_json()
    assert body["outputs"] == {"quarter": 2.5, "when": "2026-01-31"}
    assert body["matched_rules"] == [{"index": 1, "id": "r1", "annotation": "rule 1"}]
    assert body["trace"]["inputs"] == [{"label": "Amount", "expression": "amount", "value": 10}]
