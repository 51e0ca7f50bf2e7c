"""Decision tables: cells compiled once at parse time, evaluated under the standard hit policies."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from server.decisions import runtime
from server.decisions.compiler import EMPTY_SCOPE, Scope, Test
from server.decisions.errors import DecisionError
from server.decisions.functions import BUILTINS
from server.decisions.types import conform_result
from server.decisions.values import equal

Expr = Callable[[Scope], Any]
SINGLE_HIT = frozenset({"UNIQUE", "FIRST", "PRIORITY", "ANY"})
HIT_POLICIES = SINGLE_HIT | {"COLLECT", "RULE ORDER", "OUTPUT ORDER"}
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})


@dataclass(frozen=True)
class InputClause:
    """One input column: its label, the expression text and the compiled expression."""

    label: str
    text: str
    expr: Expr
    allowed: Test | None = None


@dataclass(frozen=True)
class OutputClause:
    """One output column: name, typeRef, the priority order of its output values, its default."""

    name: str
    type_ref: str | None
    priorities: tuple[Any, ...]
    default: Expr | None


@dataclass(frozen=True)
class Rule:
    """One row: the non-`-` input tests as (column, test) pairs and the output entries."""

    index: int
    rule_id: str
    annotation: str | None
    tests: tuple[tuple[int, Test], ...]
    outputs: tuple[Expr, ...]
    constant: tuple[Any, ...] | None  # the output values when every output entry is a constant

    def info(self) -> dict[str, Any]:
        """The matched-rule record: 1-based index, id and annotation."""
        return {"index": self.index, "id": self.rule_id, "annotation": self.annotation}


class TableOutcome(NamedTuple):
    """What one evaluation produced: the value, the matched rules and the input values seen."""

    value: Any
    matched: tuple[Rule, ...]
    input_values: tuple[Any, ...]
    by_output: dict[str, Any]


class DecisionTable:
    """A compiled decision table; `evaluate(scope)` applies the hit policy."""

    def __init__(self, *, decision: str, hit_policy: str, aggregation: str | None,
                 inputs: tuple[InputClause, ...], outputs: tuple[OutputClause, ...], rules: tuple[Rule, ...],
                 types: Mapping[str, Any] | None = None):
        self.decision, self.hit_policy, self.aggregation = decision, hit_policy, aggregation
        self.types = types or {}
        self._allowed = tuple((i, c) for i, c in enumerate(inputs) if c.allowed is not None)
        self.inputs, self.outputs, self.rules = inputs, outputs, rules
        self.output_names = tuple(o.name for o in outputs)
        self._input_exprs = tuple(i.expr for i in inputs)
        self._single = hit_policy in SINGLE_HIT
        self.single_value = self._single or aggregation is not None  # one value, not a list of hits
        self._first = hit_policy == "FIRST"
        self._rows = tuple((rule, rule.tests) for rule in rules)

    def evaluate(self, scope: Scope) -> TableOutcome:
        """Evaluate the table for the variables in `scope`."""
        values = tuple([expr(scope) for expr in self._input_exprs])
        for column, clause in self._allowed:
            if values[column] is not None and not clause.allowed(values[column], scope):  # type: ignore[misc]
                raise DecisionError(f"input {clause.label!r} is not one of its allowed values", decision=self.decision,
                                    column=clause.label)
        matched: list[Rule] = []
        for rule, tests in self._rows:
            for column, test in tests:
                if not test(values[column], scope):
                    break
            else:
                matched.append(rule)
                if self._first:
                    break
        if self._single:
            value, by_output = self._single_hit(matched, scope)
        else:
            value, by_output = self._multi_hit(matched, scope)
        return TableOutcome(value, tuple(matched), values, by_output)

    def _row(self, rule: Rule, scope: Scope) -> tuple[Any, ...]:
        if rule.constant is not None:
            return rule.constant
        return tuple(self._typed(i, expr(scope)) for i, expr in enumerate(rule.outputs))

    def _typed(self, column: int, value: Any) -> Any:
        return typed(value, self.outputs[column].type_ref, self.types)

    def _shape(self, row: tuple[Any, ...]) -> Any:
        return row[0] if len(row) == 1 else dict(zip(self.output_names, row))

    def _single_hit(self, matched: list[Rule], scope: Scope) -> tuple[Any, dict[str, Any]]:
        if not matched:
            row = self._defaults(scope)
            if row is None:
                return None, dict.fromkeys(self.output_names)
            return self._shape(row), dict(zip(self.output_names, row))
        if len(matched) > 1:
            matched[:] = [self._pick(matched, scope)]
        row = self._row(matched[0], scope)
        return self._shape(row), dict(zip(self.output_names, row))

    def _pick(self, matched: list[Rule], scope: Scope) -> Rule:
        if self.hit_policy == "UNIQUE":
            numbers = ", ".join(str(r.index) for r in matched)
            raise DecisionError(f"hit policy UNIQUE but rules {numbers} all match", decision=self.decision,
                                rule=matched[1].index)
        if self.hit_policy == "ANY":
            first = self._row(matched[0], scope)
            for rule in matched[1:]:
                if not all(equal(a, b) is True for a, b in zip(first, self._row(rule, scope))):
                    raise DecisionError(f"hit policy ANY but rules {matched[0].index} and {rule.index} give "
                                        "different outputs", decision=self.decision, rule=rule.index)
            return matched[0]
        if self.hit_policy == "PRIORITY":
            return min(matched, key=lambda rule: self._priority(self._row(rule, scope)))
        return matched[0]

    def _priority(self, row: tuple[Any, ...]) -> tuple[int, ...]:
        keys = []
        for output, value in zip(self.outputs, row):
            order = next((i for i, p in enumerate(output.priorities) if equal(p, value) is True), None)
            keys.append(len(output.priorities) if order is None else order)
        return tuple(keys)

    def _defaults(self, scope: Scope) -> tuple[Any, ...] | None:
        if not any(o.default for o in self.outputs):
            return None
        return tuple(self._typed(i, o.default(scope) if o.default else None) for i, o in enumerate(self.outputs))

    def _multi_hit(self, matched: list[Rule], scope: Scope) -> tuple[Any, dict[str, Any]]:
        rows = [self._row(rule, scope) for rule in matched]
        if self.hit_policy == "OUTPUT ORDER":
            order = sorted(range(len(rows)), key=lambda i: self._priority(rows[i]))
            rows, matched[:] = [rows[i] for i in order], [matched[i] for i in order]
        if not rows:
            defaults = self._defaults(scope)
            if defaults is not None:
                return self._shape(defaults), dict(zip(self.output_names, defaults))
        if self.aggregation:
            value = aggregate(self.aggregation, [row[0] for row in rows])
            return value, {self.output_names[0]: value}
        shaped = [self._shape(row) for row in rows]
        return shaped, {}


def aggregate(aggregation: str, values: list[Any]) -> Any:
    """COLLECT's SUM, MIN, MAX or COUNT over the matched rules' outputs (COUNT of nothing is 0)."""
    if aggregation == "COUNT":
        return Decimal(len(values))
    if not values:
        return None
    name = {"SUM": "sum", "MIN": "min", "MAX": "max"}[aggregation]
    return BUILTINS[name].invoke([[v for v in values if v is not None]])


def typed(value: Any, type_ref: str | None, types: Mapping[str, Any]) -> Any:
    """An output cell's value checked against the output's typeRef (null when it does not conform)."""
    if type_ref is None or value is None:
        return value
    result, ok = conform_result(value, type_ref, types)
    return result if ok else runtime.null(f"output value is not a {type_ref}")


def constant_row(outputs: tuple[Expr, ...], is_constant: tuple[bool, ...],
                 types: tuple[str | None, ...], defs: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The rule's output row computed once, when every output entry is a constant."""
    if not all(is_constant):
        return None
    return tuple(typed(expr(EMPTY_SCOPE), type_ref, defs) for expr, type_ref in zip(outputs, types))
