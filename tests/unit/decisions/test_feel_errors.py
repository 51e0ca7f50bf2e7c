"""Errors the FEEL way: a bad call is null with a warning in the trace, one broken decision fails alone,
deployment still refuses a decision a process uses; DMN result shapes; now()/today() from a clock."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from server.decisions import DecisionParseError, parse_dmn
from server.decisions.expressions import evaluate_feel
from server.engine import ModelError, ServiceRegistry, compile_model
from tests.unit.decisions.builders import literal_xml, table_xml

ROOT = Path(__file__).resolve().parents[3]
FIXED = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone.utc)


def test_a_bad_call_is_null_with_a_warning_naming_the_function() -> None:
    model = parse_dmn(literal_xml({"due": 'date and time("2026-02-30T10:00:00") + duration("P1D")',
                                   "span": 'years and months duration("x", 1)'}))
    due = model.evaluate("due", {})
    assert due.value is None
    assert any("date and time" in w for w in due.trace["warnings"])
    span = model.evaluate("span", {})
    assert span.value is None and any("years and months duration" in w for w in span.trace["warnings"])


def test_a_decision_that_does_not_compile_fails_alone_when_lenient() -> None:
    xml = literal_xml({"broken": "1 +", "wrong call": "abs()", "fine": "abs(-2)"})
    with pytest.raises(DecisionParseError) as caught:
        parse_dmn(xml)  # strict, as deployment reads it: refused, naming the decision and the position
    assert caught.value.decision == "broken" and "position" in caught.value.reason
    model = parse_dmn(xml, lenient=True)
    assert model.evaluate("fine", {}).value == Decimal(2)
    assert model.evaluate("wrong call", {}).value is None  # FEEL's rule: null, with a warning
    with pytest.raises(DecisionParseError):
        model.evaluate("broken", {})


def _process(decision_ref: str) -> bytes:
    return f"""<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>
    <bpmn:businessRuleTask id="t1" camunda:decisionRef="{decision_ref}"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="e"/><bpmn:endEvent id="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_deploy_refuses_a_used_decision_with_broken_syntax_and_accepts_the_others() -> None:
    dmn = {"rules.dmn": literal_xml({"broken": '"a" + ', "fine": '"ok"'})}
    with pytest.raises(ModelError) as caught:
        compile_model(bpmn={"p.bpmn": _process("broken")}, dmn=dmn, services=ServiceRegistry())
    message = str(caught.value)
    assert "decision 'broken'" in message and "position" in message and "t1" in message
    compiled = compile_model(bpmn={"p.bpmn": _process("fine")}, dmn=dmn, services=ServiceRegistry())
    assert compiled.decisions["rules.dmn"].evaluate("fine", {}).value == "ok"


def test_collect_with_an_aggregation_gives_the_default_when_nothing_matches() -> None:
    xml = table_xml([(["> 10"], ["1"])], inputs=[("n", "n", "number")], outputs=[("days", "number")],
                    hit_policy="COLLECT", aggregation="SUM", defaults={"days": "27"})
    assert parse_dmn(xml).evaluate("d", {"n": 5}).value == Decimal(27)
    assert parse_dmn(xml).evaluate("d", {"n": 50}).value == Decimal(1)


def test_several_outputs_and_several_hits_are_a_list_of_contexts() -> None:
    xml = table_xml([([">= 0"], ['"a"', "1"]), ([">= 5"], ['"b"', "2"])], inputs=[("n", "n", "number")],
                    outputs=[("code", "string"), ("weight", "number")], hit_policy="RULE ORDER")
    result = parse_dmn(xml).evaluate("d", {"n": 7})
    expected = [{"code": "a", "weight": Decimal(1)}, {"code": "b", "weight": Decimal(2)}]
    assert result.value == expected and result.outputs == {"d": expected}
    assert result.to_json()["outputs"] == {"d": [{"code": "a", "weight": 1}, {"code": "b", "weight": 2}]}


def test_typed_inputs_are_converted_inside_structures_and_lists() -> None:
    xml = (ROOT / "tests" / "data" / "dmn" / "typed_inputs.dmn").read_bytes()
    model = parse_dmn(xml)
    result = model.evaluate("late", {"invoice": {"due": "2026-01-31", "lines": [{"paid": "2026-02-03"}]},
                                     "grace": "P2D"})
    assert result.value is True


def test_now_and_today_read_the_injected_clock() -> None:
    model = parse_dmn(literal_xml({"stamp": "string(now())", "day": "today()"}))
    assert model.evaluate("stamp", {}, clock=lambda: FIXED).value == "2026-03-01T12:30:00Z"
    assert model.evaluate("day", {}, clock=lambda: FIXED).value == dt.date(2026, 3, 1)
    assert evaluate_feel("today() - @\"2026-02-01\"", {}, clock=lambda: FIXED) == dt.timedelta(days=28)


@pytest.mark.parametrize(("text", "expected"), [
    ('{max: function(a, b) external {java: {class: "java.lang.Math", method signature: "max(double, double)"}},'
     " r: max(1, 2)}.r", Decimal(2)),
    ('{f: function(c) external {java: {class: "java.lang.Runtime", method signature: "exec(java.lang.String)"}},'
     ' r: f("touch /tmp/pwned")}.r', None),
    ('{f: function(s) external {java: {class: "os", method signature: "system(java.lang.String)"}},'
     ' r: f("id")}.r', None),
])
def test_external_java_functions_come_from_a_fixed_allowlist_only(text: str, expected: object) -> None:
    assert evaluate_feel(text, {}) == expected
