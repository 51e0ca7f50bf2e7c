"""Boxed expressions of DMN 1.5 (§7.3, §10.2): literal, context, decision table, invocation, relation, list,
function definition, conditional, filter, for/some/every; each read into a closure over a Scope."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from server.decisions import runtime
from server.decisions.callables import FeelFunction
from server.decisions.compiler import Scope, compile_expression
from server.decisions.errors import FeelSyntaxError
from server.decisions.external import external_function
from server.decisions.iteration import compile_for, compile_quantifier
from server.decisions.operators import filter_list
from server.decisions.types import conform_result

Expr = Callable[[Scope], Any]
BOXED = ("literalExpression", "context", "decisionTable", "invocation", "relation", "list", "functionDefinition",
         "conditional", "filter", "for", "some", "every")


class BoxedReader:
    """Reads boxed expressions; the host class provides tag/child/children/text/fail/env and read_table."""

    ns: str
    env: Any

    def logic_element(self, el: etree._Element) -> etree._Element | None:
        for child in el:
            if isinstance(child.tag, str) and etree.QName(child).namespace == self.ns \
                    and etree.QName(child).localname in BOXED:
                return child
        return None

    def value_of(self, el: etree._Element, *, label: str) -> Expr:
        kind = etree.QName(el).localname
        handler = getattr(self, "boxed_" + kind.replace("Expression", "").lower())
        expr: Expr = handler(el, label)
        type_ref = el.get("typeRef")
        if type_ref and kind != "functionDefinition":
            return self.typed(expr, type_ref, label)
        return expr

    def typed(self, expr: Expr, type_ref: str, label: str) -> Expr:
        defs = self.env.types

        def checked(scope: Scope) -> Any:
            value, ok = conform_result(expr(scope), type_ref, defs)
            return value if ok else runtime.null(f"{label}: the value is not a {type_ref}")
        return checked

    def inner(self, el: etree._Element | None, label: str) -> Expr:
        logic = self.logic_element(el) if el is not None else None
        if logic is None:
            return lambda scope: None
        return self.value_of(logic, label=label)

    def boxed_literal(self, el: etree._Element, label: str) -> Expr:
        return self.expression(self.text(el), column=label)  # type: ignore[attr-defined]

    def boxed_decisiontable(self, el: etree._Element, label: str) -> Expr:
        table = self.read_table(el, label)  # type: ignore[attr-defined]
        return lambda scope: table.outcome(scope)[0]

    def boxed_context(self, el: etree._Element, label: str) -> Expr:
        entries: list[tuple[str | None, Expr]] = []
        for entry in self.children(el, "contextEntry"):  # type: ignore[attr-defined]
            variable = self.child(entry, "variable")  # type: ignore[attr-defined]
            name = variable.get("name") if variable is not None else None
            value = self.inner(entry, name or label)
            if name is not None and variable is not None and variable.get("typeRef"):
                value = self.typed(value, variable.get("typeRef"), name)
            entries.append((name, value))

        def evaluate(scope: Scope) -> Any:
            result: dict[str, Any] = {}
            inner = Scope(result, scope)
            for name, value in entries:
                if name is None:
                    return value(inner)
                result[name] = value(inner)
            return result
        return evaluate

    def boxed_list(self, el: etree._Element, label: str) -> Expr:
        items = [self.value_of(child, label=label) for child in el
                 if isinstance(child.tag, str) and etree.QName(child).localname in BOXED]
        return lambda scope: [item(scope) for item in items]

    def boxed_relation(self, el: etree._Element, label: str) -> Expr:
        columns = [c.get("name", "") for c in self.children(el, "column")]  # type: ignore[attr-defined]
        rows = []
        for row in self.children(el, "row"):  # type: ignore[attr-defined]
            cells = [self.value_of(c, label=label) for c in row
                     if isinstance(c.tag, str) and etree.QName(c).localname in BOXED]
            rows.append(cells)
        return lambda scope: [dict(zip(columns, (cell(scope) for cell in cells))) for cells in rows]

    def boxed_functiondefinition(self, el: etree._Element, label: str) -> Expr:
        params = tuple(p.get("name", "") for p in self.children(el, "formalParameter"))  # type: ignore[attr-defined]
        kind = (el.get("kind") or "FEEL").upper()
        body = self.inner(el, label)
        if kind == "JAVA":
            return lambda scope: external_function(label, params, {"java": body(scope)}, scope)
        if kind != "FEEL":
            return lambda scope: FeelFunction(label, params, lambda s: runtime.null(f"{kind} functions are not "
                                                                                   "supported"), scope)
        return lambda scope: FeelFunction(label, params, body, scope)

    def boxed_invocation(self, el: etree._Element, label: str) -> Expr:
        callee_el = self.logic_element(el)
        callee_text = self.text(callee_el) if callee_el is not None else ""  # type: ignore[attr-defined]
        try:
            callee = compile_expression(callee_text, self.env) if callee_text else None
        except FeelSyntaxError as exc:
            raise self.fail(exc.reason, column=label, text=callee_text) from None  # type: ignore[attr-defined]
        bindings = []
        for binding in self.children(el, "binding"):  # type: ignore[attr-defined]
            parameter = self.child(binding, "parameter")  # type: ignore[attr-defined]
            bindings.append((parameter.get("name", "") if parameter is not None else "", self.inner(binding, label)))

        def call(scope: Scope) -> Any:
            function = callee(scope) if callee is not None else None
            if function is None or getattr(function, "invoke", None) is None:
                return runtime.null(f"{label}: {callee_text!r} is not a function")
            return function.invoke([], {name: value(scope) for name, value in bindings})
        return call

    def boxed_conditional(self, el: etree._Element, label: str) -> Expr:
        cond = self.inner(self.child(el, "if"), label)  # type: ignore[attr-defined]
        then = self.inner(self.child(el, "then"), label)  # type: ignore[attr-defined]
        other = self.inner(self.child(el, "else"), label)  # type: ignore[attr-defined]
        def choose(scope: Scope) -> Any:
            outcome = cond(scope)
            if outcome is not None and type(outcome) is not bool:
                return runtime.null(f"{label}: the condition is not a boolean")
            return then(scope) if outcome is True else other(scope)
        return choose

    def boxed_filter(self, el: etree._Element, label: str) -> Expr:
        source = self.inner(self.child(el, "in"), label)  # type: ignore[attr-defined]
        match = self.inner(self.child(el, "match"), label)  # type: ignore[attr-defined]
        return lambda scope: filter_list(source(scope), match, scope)

    def _iterator(self, el: etree._Element, label: str) -> tuple[list[Any], type[_Const]]:
        name = el.get("iteratorVariable", "")
        source = self.inner(self.child(el, "in"), label)  # type: ignore[attr-defined]
        return [(name, source, None)], _Const

    def boxed_for(self, el: etree._Element, label: str) -> Expr:
        iterators, _ = self._iterator(el, label)
        body = self.inner(self.child(el, "return"), label)  # type: ignore[attr-defined]
        return compile_for(_Const({"body": body}), ("for", iterators, "body"))

    def boxed_some(self, el: etree._Element, label: str) -> Expr:
        return self._quantified(el, label, "some")

    def boxed_every(self, el: etree._Element, label: str) -> Expr:
        return self._quantified(el, label, "every")

    def _quantified(self, el: etree._Element, label: str, kind: str) -> Expr:
        iterators, _ = self._iterator(el, label)
        condition = self.inner(self.child(el, "satisfies"), label)  # type: ignore[attr-defined]
        return compile_quantifier(_Const({"body": condition}), ("quant", kind, iterators, "body"))


class _Const:
    """A stand-in compiler for iteration: the iterators and body are compiled already."""

    def __init__(self, named: dict[str, Expr]):
        self.named = named

    def expr(self, node: Any) -> Expr:
        if callable(node):
            return node
        return self.named[node]
