"""The public face of the evaluator: parse_dmn() and DecisionModel.evaluate() returning a DecisionResult."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from server.decisions.compiler import Scope
from server.decisions.errors import DecisionError
from server.decisions.reader import Decision, read_definitions
from server.decisions.values import coerce_type, to_json


@dataclass(frozen=True)
class DecisionResult:
    """One decision's outcome: FEEL value, outputs to merge into process data, matched rules, trace."""

    decision_id: str
    decision_name: str
    value: Any
    outputs: dict[str, Any]
    matched_rules: tuple[dict[str, Any], ...]
    _trace: Callable[[], dict[str, Any]] = field(repr=False, compare=False)

    @cached_property
    def trace(self) -> dict[str, Any]:
        """JSON-safe record: decision, hit policy, inputs, matched rules, outputs, required decisions."""
        return self._trace()

    def to_json(self) -> dict[str, Any]:
        """JSON-safe {"outputs", "matched_rules", "trace"}: integral numbers as int, dates as ISO."""
        return {"outputs": to_json(self.outputs), "matched_rules": [dict(r) for r in self.matched_rules],
                "trace": self.trace}


class DecisionModel:
    """A parsed DMN document; evaluate any of its decisions (required decisions first) as often as needed."""

    def __init__(self, decisions: dict[str, Decision], functions: Mapping[str, Any], source: str = ""):
        self.decisions: Mapping[str, Decision] = decisions
        self.decision_ids: tuple[str, ...] = tuple(decisions)
        self.source = source
        self._functions = dict(functions)
        self._by_name = {d.name: d for d in decisions.values()}
        required = {r for d in decisions.values() for r in d.required}
        self._top = tuple(d for d in decisions.values() if d.id not in required)

    def evaluate(self, decision_id: str | None = None, inputs: Mapping[str, Any] | None = None) -> DecisionResult:
        """Evaluate a decision (by id, or name; None = the only or top decision) for these input values."""
        decision = self._resolve(decision_id)
        root = Scope(inputs if inputs is not None else {}, Scope(self._functions) if self._functions else None)
        return self._run(decision, root, {})

    def _resolve(self, decision_id: str | None) -> Decision:
        if decision_id is None:
            if len(self._top) == 1:
                return self._top[0]
            names = ", ".join(d.id for d in self._top)
            raise DecisionError(f"the model has several top-level decisions ({names}); name one")
        decision = self.decisions.get(decision_id) or self._by_name.get(decision_id)
        if decision is None:
            raise DecisionError(f"no decision {decision_id!r} in the model (has: {', '.join(self.decision_ids)})",
                                decision=decision_id)
        return decision

    def _run(self, decision: Decision, root: Scope, done: dict[str, DecisionResult]) -> DecisionResult:
        scope, required = root, ()  # type: Scope, tuple[DecisionResult, ...]
        if decision.required:
            required = tuple(done.get(r) or self._run(self.decisions[r], root, done) for r in decision.required)
            for result in required:
                done[result.decision_id] = result
            scope = Scope({self.decisions[r.decision_id].variable: r.value for r in required}, root)
        if decision.kind == "table":
            return _table_result(decision, scope, required)
        if decision.kind == "none":
            value = scope.lookup(decision.variable)
            value = None if value is None or not isinstance(value, (str, int, float, bool, dict, list)) and \
                type(value).__name__ not in ("Decimal", "date") else value
        else:
            value = decision.expr(scope)  # type: ignore[misc]
        value = _typed(value, decision.type_ref)
        outputs = {decision.variable: value}
        return DecisionResult(decision.id, decision.name, value, outputs, (),
                              lambda: _expression_trace(decision, value, required))


def _typed(value: Any, type_ref: str | None) -> Any:
    if isinstance(value, list) and len(value) == 1 and type_ref in ("string", "number", "boolean", "date"):
        value = value[0]  # a singleton list where a single value is declared is that value
    return value if isinstance(value, list) else coerce_type(value, type_ref)


def _table_result(decision: Decision, scope: Scope, required: tuple[DecisionResult, ...]) -> DecisionResult:
    table = decision.table
    assert table is not None
    outcome = table.evaluate(scope)
    value = outcome.value if table.aggregation is None and isinstance(outcome.value, list) \
        else _typed(outcome.value, decision.type_ref)
    outputs = dict(outcome.by_output)
    if len(table.outputs) == 1:
        outputs[decision.variable] = value
    matched = tuple([rule.info() for rule in outcome.matched])

    def trace() -> dict[str, Any]:
        return {
            "decision_id": decision.id, "decision_name": decision.name, "hit_policy": table.hit_policy,
            "aggregation": table.aggregation,
            "inputs": [{"label": clause.label, "expression": clause.text, "value": to_json(v)}
                       for clause, v in zip(table.inputs, outcome.input_values)],
            "matched_rules": [dict(m) for m in matched],
            "outputs": to_json(outputs),
            "required_decisions": [r.trace for r in required],
        }
    return DecisionResult(decision.id, decision.name, value, outputs, matched, trace)


def _expression_trace(decision: Decision, value: Any, required: tuple[DecisionResult, ...]) -> dict[str, Any]:
    return {"decision_id": decision.id, "decision_name": decision.name, "hit_policy": None,
            "expression": decision.text, "inputs": [], "matched_rules": [],
            "outputs": {decision.variable: to_json(value)},
            "required_decisions": [r.trace for r in required]}


def parse_dmn(xml: bytes, *, source: str = "") -> DecisionModel:
    """Parse and compile a DMN 1.1-1.5 document; raises DecisionParseError naming decision, rule, column."""
    definitions = read_definitions(xml, source=source)
    return DecisionModel(definitions.decisions, definitions.functions, source)
