"""Decision tables: cells compiled once at parse time, evaluated under the standard hit policies."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from server.decisions import runtime
from server.decisions.compiler import SMALL_INTS, plain_value
from server.decisions.errors import DecisionError
from server.decisions.functions import BUILTINS
from server.decisions.operators import equality, is_pure
from server.decisions.scope import EMPTY_SCOPE, Scope, Test
from server.decisions.types import conform_result
from server.decisions.values import ATOMS, equal

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
    name: str | None = None  # the variable, when the expression is just one name (read straight from the inputs)
    convert: Callable[[Any], Any] | None = None  # the typeRef's conversion `expr` applies after reading `name`


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
    record: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "record", {"index": self.index, "id": self.rule_id, "annotation": self.annotation})

    def info(self) -> dict[str, Any]:
        """The matched-rule record: 1-based index, id and annotation (a fresh dict)."""
        return self.record.copy()


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
        self._plan = tuple(_plan(rule) for rule in rules)
        self._several = len(outputs) > 1  # the value is a context of the outputs, built per evaluation
        self._constant_hits = {rule.index: (self._shape(rule.constant), dict(zip(self.output_names, rule.constant)))
                               for rule in rules if rule.constant is not None}
        names = tuple(clause.name for clause in inputs)
        self._getter = _names_getter(names) if inputs and all(names) else None  # type: ignore[arg-type]
        self._converts = tuple((i, c.convert) for i, c in enumerate(inputs) if c.convert is not None)
        # Pure: reading the inputs by name, no cell can warn, count steps or read the clock, so an evaluation
        # needs no runtime state (DecisionModel skips runtime.start() for it).
        self.pure = self._getter is not None and aggregation is None and \
            all(rule.constant is not None and all(is_pure(test) for _, test in rule.tests) for rule in rules) and \
            all(o.default is None for o in outputs) and all(is_pure(c.allowed) for _, c in self._allowed)  # type: ignore

    def evaluate(self, scope: Scope) -> TableOutcome:
        """Evaluate the table for the variables in `scope`."""
        return TableOutcome(*self.outcome(scope))

    def outcome(self, scope: Scope, values: tuple[Any, ...] | None = None
                ) -> tuple[Any, tuple[Rule, ...], tuple[Any, ...], dict[str, Any]]:
        """evaluate() as a plain tuple; `values` are the input values when already read (see read())."""
        if values is None:
            values = tuple([expr(scope) for expr in self._input_exprs])
        for column, clause in self._allowed:
            if values[column] is not None and not clause.allowed(values[column], scope):  # type: ignore[misc]
                raise DecisionError(f"input {clause.label!r} is not one of its allowed values", decision=self.decision,
                                    column=clause.label)
        matched = self._match(values, scope)
        if self._single:
            value, by_output = self._single_hit(matched, scope)
        else:
            value, by_output = self._multi_hit(matched, scope)
        return value, tuple(matched), values, by_output

    def read(self, variables: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The input values when every input is a name in `variables` (a dict), as the compiled name lookups
        would give them in a scope of those variables, without the calls; None otherwise."""
        if self._getter is None or type(variables) is not dict:
            return None
        try:
            raw = self._getter(variables)
        except KeyError:
            return None
        values = [value if type(value) in ATOMS else
                  SMALL_INTS[value] if type(value) is int and value in SMALL_INTS else plain_value(value)
                  for value in raw]
        for column, convert in self._converts:
            values[column] = convert(values[column])
        return tuple(values)

    def _match(self, values: tuple[Any, ...], scope: Scope) -> list[Rule]:
        matched: list[Rule] = []
        for rule, getter, expected, kind, tests in self._plan:
            if getter is not None:
                try:
                    found = getter(values)
                    if found != expected:  # every `= constant` cell of the rule at once
                        continue
                except ArithmeticError:  # a signalling NaN input: the cells one by one, as written
                    tests = rule.tests
                else:  # `==` says True == 1: the kinds must match too (checked only when the values do)
                    if (type(found) is not kind) if type(kind) is type else tuple(map(type, found)) != kind:
                        continue
            for column, test in tests:
                if not test(values[column], scope):
                    break
            else:
                matched.append(rule)
                if self._first:
                    break
        return matched

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
        hit = self._constant_hits.get(matched[0].index)
        if hit is not None:  # fresh copies of what a constant row gives, as dict(zip()) would build them
            value, by_output = hit
            return (value.copy() if self._several else value), by_output.copy()
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


# (rule, getter of its `= constant` columns, their constants, their kind(s), the other tests)
_Plan = tuple[Rule, Callable[[Any], Any] | None, Any, "type | tuple[type, ...] | None", tuple[tuple[int, Test], ...]]


def _plan(rule: Rule) -> _Plan:
    """How to match a rule: its `= constant` cells compared at once (when all its cells are pure), then the rest."""
    if not rule.tests or not all(is_pure(test) for _, test in rule.tests):
        return rule, None, None, None, rule.tests
    equal = [(column, equality(test)) for column, test in rule.tests if equality(test) is not None]
    rest = tuple((column, test) for column, test in rule.tests if equality(test) is None)
    if not equal:
        return rule, None, None, None, rule.tests
    columns = tuple(column for column, _ in equal)
    kinds = tuple(kind for _, (kind, _) in equal)  # type: ignore[misc]
    constants = tuple(constant for _, (_, constant) in equal)  # type: ignore[misc]
    if len(columns) == 1:
        return rule, itemgetter(columns[0]), constants[0], kinds[0], rest
    return rule, itemgetter(*columns), constants, kinds, rest


def _names_getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    if len(names) == 1:
        name = names[0]
        return lambda variables: (variables[name],)
    return itemgetter(*names)


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
