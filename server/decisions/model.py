"""The public face of the evaluator: parse_dmn() and DecisionModel.evaluate() returning a DecisionResult."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.decisions import runtime
from server.decisions.compiler import MISSING as _MISSING_VALUE
from server.decisions.compiler import Scope
from server.decisions.errors import DecisionError, DecisionParseError, FeelEvaluationError
from server.decisions.reader import Decision, Definitions, Service, read_definitions
from server.decisions.types import conform_result, convert_input, converter, needs_conversion, parameter_check
from server.decisions.values import to_json


@dataclass(eq=False, slots=True)  # neither frozen nor a __dict__: built once per evaluation, so its cost counts
class DecisionResult:
    """One decision's outcome: FEEL value, outputs to merge into process data, matched rules, trace."""

    decision_id: str
    decision_name: str
    value: Any
    outputs: dict[str, Any]
    matched_rules: tuple[dict[str, Any], ...]
    _trace: Callable[[], dict[str, Any]] = field(repr=False, compare=False)
    warnings: Sequence[str] = ()
    _record: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def trace(self) -> dict[str, Any]:
        """JSON-safe record: decision, hit policy, inputs, matched rules, outputs, required decisions, warnings.

        Built on first use (most evaluations never read it), then the same dict each time.
        """
        if self._record is None:
            record = self._trace()
            if self.warnings:
                record["warnings"] = list(self.warnings)
            self._record = record
        return self._record

    def to_json(self) -> dict[str, Any]:
        """JSON-safe {"outputs", "matched_rules", "trace"}: integral numbers as int, dates as ISO."""
        return {"outputs": to_json(self.outputs), "matched_rules": [dict(r) for r in self.matched_rules],
                "trace": self.trace}


class _ServiceFunction:
    """A decision service called as a function: parameters are its input decisions, then its input data."""

    def __init__(self, model: DecisionModel, service: Service):
        self.model, self.service = model, service
        self.params = tuple(model.input_names.get(i, i) for i in service.input_data) + \
            tuple(model._variable(d) for d in service.input_decisions)
        self.check = parameter_check(tuple(model.input_type(i) for i in service.input_data) +
                                     tuple(model.decision_type(d) for d in service.input_decisions),
                                     model._types)

    def invoke(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        if named is None:
            if len(args) != len(self.params):
                return runtime.null(f"{self.service.name}() takes {len(self.params)} argument(s)")
            named = dict(zip(self.params, args))
        checked = self.check([named.get(p) for p in self.params])
        if checked is None:
            return runtime.null(f"{self.service.name}(): an argument does not have its declared type")
        named = dict(zip(self.params, checked))
        try:
            values = self.model._service_values(self.service, named)
        except DecisionError as exc:
            return runtime.null(str(exc))
        return next(iter(values.values())) if len(values) == 1 else values


class DecisionModel:
    """A parsed DMN document; evaluate any of its decisions (required decisions first) as often as needed."""

    def __init__(self, definitions: Definitions, source: str = ""):
        self.decisions: Mapping[str, Decision] = definitions.decisions
        self.decision_ids: tuple[str, ...] = tuple(definitions.decisions)
        self.source = source
        self.definitions = definitions
        self.input_names = definitions.input_names
        self._functions = definitions.functions
        self._types = definitions.types
        self._converters = tuple((name, converter(self._types.get(t, t), self._types))
                                 for name, t in definitions.input_types.items()
                                 if needs_conversion(self._types.get(t, t), self._types))
        self._by_name = {d.name: d for d in definitions.decisions.values()}
        self.services = definitions.services
        for service in definitions.services.values():
            self._functions.setdefault(service.name, _ServiceFunction(self, service))
        required = {r for d in definitions.decisions.values() for r in d.required}
        self._top = tuple(d for d in definitions.decisions.values() if d.id not in required)
        self._function_scope = Scope(self._functions) if self._functions else None
        # Tables whose evaluation cannot warn, count steps or read the clock: evaluated without runtime state
        self._pure = frozenset(d.id for d in definitions.decisions.values() if d.kind == "table" and d.error is None
                               and not d.required and d.type_ref is None and d.table is not None and d.table.pure)

    def input_type(self, input_id: str) -> str | None:
        """The typeRef of an input data element (by id)."""
        return self.definitions.input_types.get(self.input_names.get(input_id, ""))

    def decision_type(self, decision_id: str) -> str | None:
        """The typeRef of a decision's variable (by id)."""
        decision = self.decisions.get(decision_id)
        return decision.type_ref if decision else None

    def broken(self, decision_id: str) -> DecisionParseError | None:
        """Why a decision (or a decision it requires) does not compile; None when it does."""
        seen: set[str] = set()
        stack = [decision_id]
        while stack:
            current = self.decisions.get(stack.pop())
            if current is None or current.id in seen:
                continue
            seen.add(current.id)
            if current.error is not None:
                return current.error
            stack.extend(current.required)
        return None

    def _variable(self, decision_id: str) -> str:
        decision = self.decisions.get(decision_id)
        return decision.variable if decision else decision_id

    def evaluate(self, decision_id: str | None = None, inputs: Mapping[str, Any] | None = None, *,
                 clock: runtime.Clock | None = None) -> DecisionResult:
        """Evaluate a decision (by id, or name; None = the only or top decision) for these input values.

        now() and today() read `clock` when given (an aware datetime factory), else the default clock.
        """
        decision = self._resolve(decision_id)
        variables = self._inputs(inputs)
        if decision.id in self._pure:
            values = decision.table.read(variables)  # type: ignore[union-attr]
            if values is not None:  # every input given: nothing in this evaluation can touch runtime state
                return self._table_result(decision, _NO_SCOPE, (), [], values)
        return self._run(decision, Scope(variables, self._function_scope), {}, runtime.start(clock))

    def evaluate_service(self, name: str | None, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The output decisions' values of a decision service (by name or id) for these parameters."""
        service = self.services.get(name or "") or next((s for s in self.services.values() if s.id == name), None)
        if service is None:
            raise DecisionError(f"no decision service {name!r} in the model")
        runtime.start()
        function = self._functions.get(service.name)
        if isinstance(function, _ServiceFunction):
            params = {p: inputs.get(p) for p in function.params}
            checked = function.check(list(params.values()))
            if checked is None:
                return {self.decisions[d].name: None for d in service.outputs if d in self.decisions}
            inputs = {**inputs, **dict(zip(function.params, checked))}
        return self._service_values(service, dict(inputs))

    def _service_values(self, service: Service, inputs: dict[str, Any]) -> dict[str, Any]:
        root = self._root(inputs)
        done: dict[str, DecisionResult] = {}
        for decision_id in service.input_decisions:
            decision = self.decisions.get(decision_id)
            if decision is not None:
                value = root.lookup(decision.variable)
                value = None if value is _MISSING_VALUE else value
                done[decision_id] = DecisionResult(decision.id, decision.name, value, {}, (), dict)
        values = {self.decisions[d].name: self._run(self.decisions[d], root, done).value
                  for d in service.outputs if d in self.decisions}
        if service.type_ref and len(values) == 1:
            (name, value), = values.items()
            item = self._types.get(service.type_ref, service.type_ref)
            item = getattr(item, "returns", None) or item
            typed, ok = conform_result(value, item, self._types)
            values[name] = typed if ok else runtime.null(f"{service.name}: the value is not a {service.type_ref}")
        return values

    def _root(self, inputs: Mapping[str, Any] | None) -> Scope:
        return Scope(self._inputs(inputs), self._function_scope)

    def _inputs(self, inputs: Mapping[str, Any] | None) -> Mapping[str, Any]:
        values = inputs if inputs is not None else {}
        if self._converters:  # the input data's typeRefs: dates from strings, ...
            values = dict(values)
            for name, convert in self._converters:
                if name in values:
                    values[name] = convert(values[name])
        return values

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

    def _run(self, decision: Decision, root: Scope, done: dict[str, DecisionResult],
             warnings: Sequence[str] = ()) -> DecisionResult:
        if decision.error is not None:
            raise decision.error
        scope, required = root, ()  # type: Scope, tuple[DecisionResult, ...]
        if decision.required:
            required = tuple(done.get(r) or self._run(self.decisions[r], root, done, warnings)
                             for r in decision.required)
            for result in required:
                done[result.decision_id] = result
            scope = Scope({self.decisions[r.decision_id].variable: r.value for r in required}, root)
        try:
            if decision.kind == "table":
                return self._table_result(decision, scope, required, warnings)
            if decision.kind == "none":
                value = scope.lookup(decision.variable)
                value = None if value is _MISSING_VALUE else convert_input(value, decision.type_ref, self._types)
            else:
                value = decision.expr(scope)  # type: ignore[misc]
        except (FeelEvaluationError, RecursionError) as exc:
            raise DecisionError(str(exc) if not isinstance(exc, RecursionError) else "the evaluation nests too "
                                "deeply", decision=decision.id) from None
        value = self._typed(decision, value)
        outputs = {decision.variable: value}
        return DecisionResult(decision.id, decision.name, value, outputs, (),
                              lambda: _expression_trace(decision, value, required), warnings)

    def _typed(self, decision: Decision, value: Any) -> Any:
        if decision.type_ref is None:
            return value
        typed, ok = conform_result(value, self._types.get(decision.type_ref, decision.type_ref), self._types)
        return typed if ok else runtime.null(f"{decision.name}: the value is not a {decision.type_ref}")

    def _table_result(self, decision: Decision, scope: Scope, required: tuple[DecisionResult, ...],
                      warnings: Sequence[str], values: tuple[Any, ...] | None = None) -> DecisionResult:
        table = decision.table
        assert table is not None
        if values is None and not decision.required:  # scope is the root: its variables are the inputs
            values = table.read(scope.vars)
        value, hits, input_values, outputs = table.outcome(scope, values)
        single = table.single_value
        if single and decision.type_ref is not None:
            value = self._typed(decision, value)
        if single:  # outputs: the table's fresh dict of output values
            if len(table.outputs) == 1:
                outputs[decision.variable] = value
        elif len(table.outputs) == 1:  # several hits of one output: the list, under both names
            outputs = {table.outputs[0].name: value, decision.variable: value}
        else:  # several hits of several outputs: one list of contexts, as DMN says
            outputs = {decision.variable: value}
        matched = tuple([rule.record.copy() for rule in hits])

        def trace() -> dict[str, Any]:
            return {
                "decision_id": decision.id, "decision_name": decision.name, "hit_policy": table.hit_policy,
                "aggregation": table.aggregation,
                "inputs": [{"label": clause.label, "expression": clause.text, "value": to_json(v)}
                           for clause, v in zip(table.inputs, input_values)],
                "matched_rules": [dict(m) for m in matched],
                "outputs": to_json(outputs),
                "required_decisions": [r.trace for r in required],
            }
        return DecisionResult(decision.id, decision.name, value, outputs, matched, trace, warnings)


_NO_SCOPE = Scope({})  # what a pure table's cells get: they read only their input value


def _expression_trace(decision: Decision, value: Any, required: tuple[DecisionResult, ...]) -> dict[str, Any]:
    return {"decision_id": decision.id, "decision_name": decision.name, "hit_policy": None,
            "expression": decision.text, "inputs": [], "matched_rules": [],
            "outputs": {decision.variable: to_json(value)},
            "required_decisions": [r.trace for r in required]}


def parse_dmn(xml: bytes, *, source: str = "", lenient: bool = False,
              imports: Iterable[bytes] = ()) -> DecisionModel:
    """Parse and compile a DMN 1.1-1.5 document; raises DecisionParseError naming decision, rule, column.

    `lenient=True` keeps a model whose decisions partly do not compile (those raise when evaluated);
    `imports` are the DMN documents the model imports (matched by namespace).
    """
    imported: dict[str, Definitions] = {}
    for document in imports:
        definitions = read_definitions(document, source=source, lenient=True)
        imported[definitions.namespace] = definitions
    return DecisionModel(read_definitions(xml, source=source, lenient=lenient, imported=imported), source)
