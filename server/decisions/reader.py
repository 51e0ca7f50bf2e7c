"""Read DMN 1.1-1.5 XML into compiled decisions; every cell is compiled here, so bad cells fail deployment.

With `lenient=True` a decision (or BKM) that does not compile is kept as broken: evaluating it raises its
DecisionParseError, while the model's other decisions work (what the TCK runner and draft tests use).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from server.decisions import runtime
from server.decisions.boxed import BoxedReader
from server.decisions.callables import FeelFunction
from server.decisions.compiler import CompileEnv, Scope, compile_expression, compile_unary_tests
from server.decisions.errors import DecisionParseError, FeelSyntaxError
from server.decisions.table_reader import TableReader
from server.decisions.tables import DecisionTable
from server.decisions.types import ItemType, parameter_check

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


@dataclass(frozen=True)
class Decision:
    """A compiled decision: its logic is a table, a FEEL expression, or absent (value supplied as input)."""

    id: str
    name: str
    variable: str
    type_ref: str | None
    kind: str  # "table", "literal", "context" (any other boxed expression), "none" or "broken"
    table: DecisionTable | None
    expr: Expr | None
    text: str | None
    required: tuple[str, ...]
    error: DecisionParseError | None = None


@dataclass(frozen=True)
class Service:
    """A decision service: its output decisions and its parameters (input decisions, then input data)."""

    id: str
    name: str
    outputs: tuple[str, ...]
    input_decisions: tuple[str, ...]
    input_data: tuple[str, ...]
    type_ref: str | None = None


@dataclass
class Definitions:
    """Everything parse_dmn needs: decisions by id, functions (BKMs) by name, inputs' types, services."""

    decisions: dict[str, Decision]
    functions: dict[str, Any]
    input_types: dict[str, str] = field(default_factory=dict)
    types: dict[str, ItemType] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    namespace: str = ""
    imports: dict[str, Any] = field(default_factory=dict)
    input_names: dict[str, str] = field(default_factory=dict)


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def read_definitions(xml: bytes, *, source: str = "", lenient: bool = False,
                     imported: dict[str, Definitions] | None = None) -> Definitions:
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
    return _Reader(root, namespace, source, lenient, imported or {}).read()


class _Reader(TableReader, BoxedReader):
    def __init__(self, root: etree._Element, namespace: str, source: str, lenient: bool,
                 imported: dict[str, Definitions]):
        self.root, self.ns, self.source, self.lenient = root, namespace, source, lenient
        self.decision = ""
        self.functions: dict[str, Any] = {}
        self.function_scope = Scope(self.functions)
        self.imports = {el.get("name", ""): imported[el.get("namespace", "")]
                        for el in self.children(root, "import") if el.get("namespace", "") in imported}
        names = {n for n in (el.get("name") for el in root.iter()) if n}
        types: dict[str, ItemType] = {}
        for prefix, definitions in self.imports.items():
            names |= {f"{prefix}.{n}" for n in definitions.functions} | set(definitions.types)
            types.update({f"{prefix}.{k}": v for k, v in definitions.types.items()})
        self.env = CompileEnv(known_names=frozenset(names), types=types, strict=not lenient)
        for el in self.children(root, "itemDefinition"):
            types[el.get("name", "")] = self.item_type(el)

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

    def expression(self, text: str, *, column: str, rule: int | None = None) -> Expr:
        if not text:
            raise self.fail("empty expression", column=column, rule=rule, text=text)
        try:
            return compile_expression(text, self.env)
        except FeelSyntaxError as exc:
            raise self.fail(exc.reason, column=column, rule=rule, text=text) from None

    # item definitions -------------------------------------------------------------------------
    def item_type(self, el: etree._Element) -> ItemType:
        type_ref = (el.findtext(self.tag("typeRef")) or el.get("typeRef") or "").strip() or None
        function_item = self.child(el, "functionItem")
        returns = function_item.get("outputTypeRef") if function_item is not None else None
        if function_item is not None:
            type_ref = "function"
        components = self.children(el, "itemComponent")
        allowed_text = self.text(self.child(el, "allowedValues"))
        allowed = None
        if allowed_text:
            try:
                test = compile_unary_tests(allowed_text, self.env)
            except FeelSyntaxError:
                test = None
            if test is not None:
                allowed = lambda value, test=test: test(value, Scope({}))
        return ItemType(el.get("name", ""), type_ref,
                        {c.get("name", ""): self.item_type(c) for c in components} if components else None,
                        el.get("isCollection") == "true", allowed, returns=returns)

    # model ------------------------------------------------------------------------------------
    def read(self) -> Definitions:
        for prefix, definitions in self.imports.items():
            self.functions[prefix] = dict(definitions.functions)
        for bkm in self.children(self.root, "businessKnowledgeModel"):
            self.functions[bkm.get("name") or bkm.get("id") or ""] = self.read_bkm(bkm)
        decisions: dict[str, Decision] = {}
        for el in self.children(self.root, "decision"):
            decision = self.guarded(el, self.read_decision)
            if decision.id in decisions:
                raise self.fail(f"duplicate decision id {decision.id!r}")
            decisions[decision.id] = decision
        self.decision = ""
        _check_requirements(decisions, self)
        inputs = {el.get("name", ""): (self.child(el, "variable").get("typeRef") or "")  # type: ignore[union-attr]
                  for el in self.children(self.root, "inputData") if self.child(el, "variable") is not None}
        services = {s.name: s for s in (self.read_service(el) for el in self.children(self.root, "decisionService"))}
        input_names = {el.get("id", ""): el.get("name", "") for el in self.children(self.root, "inputData")}
        return Definitions(decisions, self.functions, {k: v for k, v in inputs.items() if v}, dict(self.env.types),
                           services, self.root.get("namespace", ""), self.imports, input_names)

    def guarded(self, el: etree._Element, read: Callable[[etree._Element], Decision]) -> Decision:
        try:
            return read(el)
        except DecisionParseError as exc:
            if not self.lenient:
                raise
            decision_id = el.get("id") or el.get("name") or ""
            variable = self.child(el, "variable")
            return Decision(decision_id, el.get("name") or decision_id,
                            (variable.get("name") if variable is not None else None) or el.get("name") or "",
                            None, "broken", None, None, None, self.requirements(el), exc)

    def read_bkm(self, bkm: etree._Element) -> FeelFunction:
        name = bkm.get("name") or bkm.get("id") or ""
        self.decision = bkm.get("id") or name
        logic = self.child(bkm, "encapsulatedLogic")
        formal = self.children(logic, "formalParameter") if logic is not None else []
        params = tuple(p.get("name", "") for p in formal)
        types = tuple(p.get("typeRef") for p in formal)
        try:
            if logic is None:
                raise self.fail("business knowledge model without encapsulatedLogic")
            body = self.inner(logic, name)
        except DecisionParseError as exc:
            if not self.lenient:
                raise
            reason = str(exc)
            body = lambda scope: runtime.null(reason)
        check = parameter_check(types, self.env.types) if any(types) else None
        return FeelFunction(name, params, body, self.function_scope, check)

    def requirements(self, el: etree._Element) -> tuple[str, ...]:
        return tuple(ref.get("href", "").split("#")[-1] for req in self.children(el, "informationRequirement")
                     for ref in self.children(req, "requiredDecision"))

    def read_decision(self, el: etree._Element) -> Decision:
        decision_id = el.get("id") or el.get("name") or ""
        self.decision = decision_id
        name = el.get("name") or decision_id
        variable_el = self.child(el, "variable")
        variable = (variable_el.get("name") if variable_el is not None else None) or name
        type_ref = variable_el.get("typeRef") if variable_el is not None else None
        common: dict[str, Any] = {"id": decision_id, "name": name, "variable": variable, "type_ref": type_ref,
                  "required": self.requirements(el)}
        logic = self.logic_element(el)
        if logic is None:
            return Decision(kind="none", table=None, expr=None, text=None, **common)
        kind = etree.QName(logic).localname
        if kind == "decisionTable":
            table = self.read_table(logic, variable)
            return Decision(kind="table", table=table, expr=None, text=None, **common)
        expr = self.value_of(logic, label=variable)
        text = self.text(logic) if kind == "literalExpression" else None
        return Decision(kind="literal" if text is not None else "context", table=None, expr=expr, text=text,
                        **common)

    def read_service(self, el: etree._Element) -> Service:
        def refs(tag: str) -> tuple[str, ...]:
            return tuple(r.get("href", "").split("#")[-1] for r in self.children(el, tag))
        variable = self.child(el, "variable")
        return Service(el.get("id", ""), el.get("name", ""), refs("outputDecision"), refs("inputDecision"),
                       refs("inputData"), variable.get("typeRef") if variable is not None else None)


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
                error = DecisionParseError(f"required decision {required!r} does not exist", decision=decision_id,
                                           source=reader.source)
                if not reader.lenient:
                    raise error
                old = decisions[decision_id]
                decisions[decision_id] = Decision(old.id, old.name, old.variable, old.type_ref, "broken", None,
                                                  None, None, (), error)
                break
            visit(required, path + (decision_id,))
        state[decision_id] = 2

    for decision_id in list(decisions):
        visit(decision_id, ())
