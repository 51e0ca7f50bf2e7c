"""Read DMN 1.1-1.5 XML into compiled decisions; every cell is compiled here, so bad cells fail deployment."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from server.decisions.compiler import (
    CompileEnv,
    FeelFunction,
    Scope,
    compile_cell,
    compile_expression,
    compile_unary_tests,
    constant_values,
)
from server.decisions.errors import DecisionParseError, FeelSyntaxError
from server.decisions.tables import (
    AGGREGATIONS,
    HIT_POLICIES,
    DecisionTable,
    InputClause,
    OutputClause,
    Rule,
    constant_row,
)
from server.decisions.values import coerce_type

Expr = Callable[[Scope], Any]
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20151101/dmn11.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}
MAX_BYTES = 5 * 1024 * 1024
_BASIC_TYPES = frozenset({"string", "number", "boolean", "date", "integer", "long", "double", "decimal"})
_LOGIC = ("decisionTable", "literalExpression", "context")


@dataclass(frozen=True)
class Decision:
    """A compiled decision: its logic is a table, a FEEL expression, or absent (value supplied as input)."""

    id: str
    name: str
    variable: str
    type_ref: str | None
    kind: str  # "table", "literal", "context" or "none"
    table: DecisionTable | None
    expr: Expr | None
    text: str | None
    required: tuple[str, ...]


@dataclass(frozen=True)
class Definitions:
    """Everything parse_dmn needs: decisions by id and the model's functions (BKMs) by name."""

    decisions: dict[str, Decision]
    functions: dict[str, FeelFunction]


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def read_definitions(xml: bytes, *, source: str = "") -> Definitions:
    """Parse and compile a DMN document; raises DecisionParseError naming what is wrong and where."""
    if len(xml) > MAX_BYTES:
        raise DecisionParseError(f"DMN document larger than {MAX_BYTES} bytes", source=source)
    try:
        root = etree.fromstring(xml, _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise DecisionParseError(f"not well-formed XML: {exc}", source=source) from None
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "definitions" or namespace not in DMN_NAMESPACES:
        raise DecisionParseError("not a DMN 1.1-1.5 <definitions> document", source=source)
    return _Reader(root, namespace, source).read()


class _Reader:
    def __init__(self, root: etree._Element, namespace: str, source: str):
        self.root, self.ns, self.source = root, namespace, source
        names = frozenset(n for n in (el.get("name") for el in root.iter()) if n)
        functions = frozenset(el.get("name", "") for el in self.children(root, "businessKnowledgeModel"))
        types = {el.get("name", ""): _type(self.child(el, "variable")) for el in
                 self.children(root, "inputData")}
        self.env = CompileEnv(known_names=names, functions=functions,
                              types={k: v for k, v in types.items() if v in _BASIC_TYPES})
        self.decision = ""

    # XML helpers ------------------------------------------------------------------------------
    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def child(self, el: etree._Element, name: str) -> etree._Element | None:
        return el.find(self.tag(name))

    def children(self, el: etree._Element, name: str) -> list[etree._Element]:
        return el.findall(self.tag(name))

    def text(self, el: etree._Element | None) -> str:
        if el is None:
            return ""
        return (el.findtext(self.tag("text")) or "").strip()

    def fail(self, reason: str, **where: Any) -> DecisionParseError:
        return DecisionParseError(reason, decision=self.decision or None, source=self.source, **where)

    # model ------------------------------------------------------------------------------------
    def read(self) -> Definitions:
        functions = {}
        for bkm in self.children(self.root, "businessKnowledgeModel"):
            function = self.read_bkm(bkm)
            functions[function.name] = function
        decisions: dict[str, Decision] = {}
        for el in self.children(self.root, "decision"):
            decision = self.read_decision(el)
            if decision.id in decisions:
                raise self.fail(f"duplicate decision id {decision.id!r}")
            decisions[decision.id] = decision
        self.decision = ""
        _check_requirements(decisions, self)
        return Definitions(decisions, functions)

    def read_bkm(self, bkm: etree._Element) -> FeelFunction:
        name = bkm.get("name") or bkm.get("id", "")
        self.decision = bkm.get("id") or name
        logic = self.child(bkm, "encapsulatedLogic")
        if logic is None:
            raise self.fail("business knowledge model without encapsulatedLogic")
        params = tuple(p.get("name", "") for p in self.children(logic, "formalParameter"))
        body = self.logic_element(logic)
        if body is None:
            raise self.fail("business knowledge model without a supported expression")
        return FeelFunction(name, params, self.value_of(body, label=name))

    def read_decision(self, el: etree._Element) -> Decision:
        decision_id = el.get("id") or el.get("name", "")
        self.decision = decision_id
        name = el.get("name") or decision_id
        variable_el = self.child(el, "variable")
        variable = (variable_el.get("name") if variable_el is not None else None) or name
        required = tuple(ref.get("href", "").lstrip("#") for req in self.children(el, "informationRequirement")
                         for ref in self.children(req, "requiredDecision"))
        logic = self.logic_element(el)
        common = {"id": decision_id, "name": name, "variable": variable, "type_ref": _type(variable_el),
                  "required": required}
        if logic is None:
            unsupported = [etree.QName(c).localname for c in el if etree.QName(c).localname in
                           ("invocation", "relation", "list", "functionDefinition", "conditional", "filter",
                            "iterator", "every", "some", "for")]
            if unsupported:
                raise self.fail(f"{unsupported[0]} decision logic is not supported")
            return Decision(kind="none", table=None, expr=None, text=None, **common)
        kind = etree.QName(logic).localname
        if kind == "decisionTable":
            table = self.read_table(logic, variable)
            return Decision(kind="table", table=table, expr=None, text=None, **common)
        expr = self.value_of(logic, label=variable)
        text = self.text(logic) if kind == "literalExpression" else None
        return Decision(kind="literal" if text is not None else "context", table=None, expr=expr, text=text,
                        **common)

    def logic_element(self, el: etree._Element) -> etree._Element | None:
        for child in el:
            if isinstance(child.tag, str) and etree.QName(child).namespace == self.ns \
                    and etree.QName(child).localname in _LOGIC:
                return child
        return None

    # boxed expressions --------------------------------------------------------------------------
    def value_of(self, el: etree._Element, *, label: str) -> Expr:
        kind = etree.QName(el).localname
        if kind == "literalExpression":
            return self.expression(self.text(el), column=label, type_ref=el.get("typeRef"))
        if kind == "decisionTable":
            table = self.read_table(el, label)
            return lambda scope: table.evaluate(scope).value
        return self.context(el)

    def context(self, el: etree._Element) -> Expr:
        entries: list[tuple[str | None, Expr]] = []
        for entry in self.children(el, "contextEntry"):
            variable = self.child(entry, "variable")
            name = variable.get("name") if variable is not None else None
            logic = self.logic_element(entry)
            if logic is None:
                raise self.fail("context entry without a supported expression", column=name)
            entries.append((name, self.value_of(logic, label=name or "result")))

        def evaluate(scope: Scope) -> Any:
            result: dict[str, Any] = {}
            inner = Scope(result, scope)
            for name, value in entries:
                if name is None:
                    return value(inner)
                result[name] = value(inner)
            return result
        return evaluate

    def expression(self, text: str, *, column: str, type_ref: str | None = None, rule: int | None = None,
                   ) -> Expr:
        if not text:
            raise self.fail("empty expression", column=column, rule=rule, text=text)
        try:
            expr = compile_expression(text, self.env)
        except FeelSyntaxError as exc:
            raise self.fail(exc.reason, column=column, rule=rule, text=text) from None
        if type_ref and _type_name(type_ref) == "date":
            return lambda scope: coerce_type(expr(scope), "date")
        return expr

    # decision tables --------------------------------------------------------------------------
    def read_table(self, el: etree._Element, variable: str) -> DecisionTable:
        hit_policy = (el.get("hitPolicy") or "UNIQUE").upper()
        aggregation = (el.get("aggregation") or "").upper() or None
        if hit_policy not in HIT_POLICIES:
            raise self.fail(f"unknown hit policy {hit_policy!r}")
        if aggregation and (hit_policy != "COLLECT" or aggregation not in AGGREGATIONS):
            raise self.fail(f"aggregation {aggregation} is only allowed with COLLECT (SUM, MIN, MAX, COUNT)")
        inputs = tuple(self.read_input(i, n) for n, i in enumerate(self.children(el, "input"), 1))
        outputs = self.read_outputs(self.children(el, "output"), variable)
        if aggregation and len(outputs) != 1:
            raise self.fail(f"COLLECT {aggregation} needs exactly one output column")
        rules = tuple(self.read_rule(r, n, inputs, outputs) for n, r in enumerate(self.children(el, "rule"), 1))
        return DecisionTable(decision=self.decision, hit_policy=hit_policy, aggregation=aggregation,
                             inputs=inputs, outputs=outputs, rules=rules)

    def read_input(self, el: etree._Element, number: int) -> InputClause:
        expression = self.child(el, "inputExpression")
        text = self.text(expression)
        label = el.get("label") or text or el.get("id") or f"input {number}"
        type_ref = expression.get("typeRef") if expression is not None else None
        return InputClause(label, text, self.expression(text, column=label, type_ref=type_ref))

    def read_outputs(self, elements: list[etree._Element], variable: str) -> tuple[OutputClause, ...]:
        outputs = []
        for number, el in enumerate(elements, 1):
            name = el.get("name") or (variable if len(elements) == 1 else el.get("label")) or f"output {number}"
            try:
                priorities = constant_values(self.text(self.child(el, "outputValues")), self.env)
            except FeelSyntaxError as exc:
                raise self.fail(exc.reason, column=name, text=self.text(self.child(el, "outputValues"))) from None
            default_text = self.text(self.child(el, "defaultOutputEntry"))
            default = self.expression(default_text, column=name) if default_text else None
            outputs.append(OutputClause(name, _type_name(el.get("typeRef")), priorities, default))
        if not outputs:
            raise self.fail("decision table without output columns")
        return tuple(outputs)

    def read_rule(self, el: etree._Element, number: int, inputs: tuple[InputClause, ...],
                  outputs: tuple[OutputClause, ...]) -> Rule:
        entries, results = self.children(el, "inputEntry"), self.children(el, "outputEntry")
        if len(entries) != len(inputs) or len(results) != len(outputs):
            raise self.fail(f"rule has {len(entries)} input and {len(results)} output entries, the table has "
                            f"{len(inputs)} and {len(outputs)}", rule=number)
        tests = []
        for column, (entry, clause) in enumerate(zip(entries, inputs)):
            text = self.text(entry)
            try:
                test = compile_unary_tests(text, self.env)
            except FeelSyntaxError as exc:
                raise self.fail(exc.reason, rule=number, column=clause.label, text=text) from None
            if test is not None:
                tests.append((column, test))
        compiled = []
        for entry, output in zip(results, outputs):
            text = self.text(entry)
            try:
                compiled.append(compile_cell(text, self.env))
            except FeelSyntaxError as exc:
                raise self.fail(exc.reason, rule=number, column=output.name, text=text) from None
        exprs = tuple(c[0] for c in compiled)
        annotation = (el.findtext(self.tag("description")) or "").strip() or \
            " ".join(self.text(a) for a in self.children(el, "annotationEntry")).strip() or None
        return Rule(number, el.get("id", ""), annotation, tuple(tests), exprs,
                    constant_row(exprs, tuple(c[1] for c in compiled), tuple(o.type_ref for o in outputs)))


def _type(variable: etree._Element | None) -> str | None:
    return _type_name(variable.get("typeRef")) if variable is not None else None


def _type_name(type_ref: str | None) -> str | None:
    if not type_ref:
        return None
    name = type_ref.rsplit(":", 1)[-1] if not type_ref.startswith("feel:") else type_ref[5:]
    return name.lower() if name.lower() in _BASIC_TYPES else name


def _check_requirements(decisions: dict[str, Decision], reader: _Reader) -> None:
    """Every required decision exists and the requirement graph has no cycle."""
    state: dict[str, int] = {}

    def visit(decision_id: str, path: tuple[str, ...]) -> None:
        if state.get(decision_id) == 2:
            return
        if state.get(decision_id) == 1:
            raise DecisionParseError(f"required decisions form a cycle: {' -> '.join(path + (decision_id,))}",
                                     decision=decision_id, source=reader.source)
        state[decision_id] = 1
        for required in decisions[decision_id].required:
            if required not in decisions:
                raise DecisionParseError(f"required decision {required!r} does not exist", decision=decision_id,
                                         source=reader.source)
            visit(required, path + (decision_id,))
        state[decision_id] = 2

    for decision_id in decisions:
        visit(decision_id, ())
