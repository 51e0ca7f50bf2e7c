"""Read a decisionTable element: input and output clauses and rules, every cell compiled (bad cells refuse)."""
from __future__ import annotations

from typing import Any

from lxml import etree

from server.decisions.compiler import compile_cell, compile_unary_tests, constant_values, plain_name
from server.decisions.errors import FeelSyntaxError
from server.decisions.tables import (
    AGGREGATIONS,
    HIT_POLICIES,
    DecisionTable,
    InputClause,
    OutputClause,
    Rule,
    constant_row,
)
from server.decisions.types import converter, needs_conversion


def _conversion(type_ref: str | None, types: Any) -> Any:
    item = types.get(type_ref, type_ref) if type_ref else None
    if not needs_conversion(item, types):
        return None  # numbers, strings, booleans: nothing to convert, no cost per evaluation
    return converter(item, types)


def _converting(expr: Any, convert: Any) -> Any:
    return lambda scope: convert(expr(scope))


class TableReader:
    """Mixin of the DMN reader: the host provides tag/child/children/text/fail/expression/env/decision."""

    env: Any
    decision: str

    def read_table(self, el: etree._Element, variable: str) -> DecisionTable:
        hit_policy = (el.get("hitPolicy") or "UNIQUE").upper()
        aggregation = (el.get("aggregation") or "").upper() or None
        if hit_policy not in HIT_POLICIES:
            raise self.fail(f"unknown hit policy {hit_policy!r}")  # type: ignore[attr-defined]
        if aggregation and (hit_policy != "COLLECT" or aggregation not in AGGREGATIONS):
            raise self.fail(  # type: ignore[attr-defined]
                f"aggregation {aggregation} is only allowed with COLLECT (SUM, MIN, MAX, COUNT)")
        inputs = tuple(self.read_input(i, n) for n, i in enumerate(self.children(el, "input"), 1))  # type: ignore
        outputs = self.read_outputs(self.children(el, "output"), variable)  # type: ignore[attr-defined]
        if aggregation and len(outputs) != 1:
            raise self.fail(f"COLLECT {aggregation} needs exactly one output column")  # type: ignore
        rules = tuple(self.read_rule(r, n, inputs, outputs)
                      for n, r in enumerate(self.children(el, "rule"), 1))  # type: ignore[attr-defined]
        return DecisionTable(decision=self.decision, hit_policy=hit_policy, aggregation=aggregation,
                             inputs=inputs, outputs=outputs, rules=rules, types=self.env.types)

    def read_input(self, el: etree._Element, number: int) -> InputClause:
        expression = self.child(el, "inputExpression")  # type: ignore[attr-defined]
        text = self.text(expression)  # type: ignore[attr-defined]
        label = el.get("label") or text or el.get("id") or f"input {number}"
        type_ref = expression.get("typeRef") if expression is not None else None
        expr = self.expression(text, column=label)  # type: ignore[attr-defined]
        # the typeRef converts (a date string to a date), never nulls: process data is loosely typed
        convert = _conversion(type_ref, self.env.types)
        if convert is not None:
            expr = _converting(expr, convert)
        allowed_text = self.text(self.child(el, "inputValues"))  # type: ignore[attr-defined]
        allowed = self._tests(allowed_text, None, label) if allowed_text else None
        return InputClause(label, text, expr, allowed, plain_name(text, self.env), convert)

    def _tests(self, text: str, rule: int | None, column: str) -> Any:
        try:
            return compile_unary_tests(text, self.env)
        except FeelSyntaxError as exc:
            raise self.fail(exc.reason, rule=rule, column=column, text=text) from None  # type: ignore

    def read_outputs(self, elements: list[etree._Element], variable: str) -> tuple[OutputClause, ...]:
        outputs = []
        for number, el in enumerate(elements, 1):
            name = el.get("name") or (variable if len(elements) == 1 else el.get("label")) or f"output {number}"
            values_text = self.text(self.child(el, "outputValues"))  # type: ignore[attr-defined]
            try:
                priorities = constant_values(values_text, self.env)
            except FeelSyntaxError as exc:
                raise self.fail(exc.reason, column=name, text=values_text) from None  # type: ignore
            default_text = self.text(self.child(el, "defaultOutputEntry"))  # type: ignore[attr-defined]
            default = self.expression(default_text, column=name) if default_text else None  # type: ignore
            outputs.append(OutputClause(name, el.get("typeRef"), priorities, default))
        if not outputs:
            raise self.fail("decision table without output columns")  # type: ignore[attr-defined]
        return tuple(outputs)

    def read_rule(self, el: etree._Element, number: int, inputs: tuple[InputClause, ...],
                  outputs: tuple[OutputClause, ...]) -> Rule:
        entries = self.children(el, "inputEntry")  # type: ignore[attr-defined]
        results = self.children(el, "outputEntry")  # type: ignore[attr-defined]
        if len(entries) != len(inputs) or len(results) != len(outputs):
            reason = (f"rule has {len(entries)} input and {len(results)} output entries, the table has "
                      f"{len(inputs)} and {len(outputs)}")
            raise self.fail(reason, rule=number)  # type: ignore[attr-defined]
        tests = []
        for column, (entry, clause) in enumerate(zip(entries, inputs)):
            test = self._tests(self.text(entry), number, clause.label)  # type: ignore[attr-defined]
            if test is not None:
                tests.append((column, test))
        compiled = []
        for entry, output in zip(results, outputs):
            text = self.text(entry)  # type: ignore[attr-defined]
            try:
                compiled.append(compile_cell(text, self.env))
            except FeelSyntaxError as exc:
                raise self.fail(exc.reason, rule=number, column=output.name, text=text) from None  # type: ignore
        exprs = tuple(c[0] for c in compiled)
        description = el.findtext(self.tag("description"))  # type: ignore[attr-defined]
        annotation = (description or "").strip() or \
            " ".join(self.text(a) for a in self.children(el, "annotationEntry")).strip() or None  # type: ignore
        return Rule(number, el.get("id", ""), annotation, tuple(tests), exprs,
                    constant_row(exprs, tuple(c[1] for c in compiled), tuple(o.type_ref for o in outputs),
                                 self.env.types))
