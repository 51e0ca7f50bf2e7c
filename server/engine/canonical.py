"""One pass over a model's XML before the engine parses it: every expression checked and made canonical.

Each place a model carries an expression (conditions, timers, multi-instance, assignment, service
parameters, input/output mappings, scripts) is rewritten to `=<FEEL>` or, where the environment
allows Python, to checked Python source. A refusal is a ModelError naming element, kind and text.
"""
from __future__ import annotations

import json

from lxml import etree

from server.engine.expressions import Checker, context_of, iso_literal, plain_name
from server.engine.types import ModelError

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_CONTAINERS = {"process", "subProcess", "adHocSubProcess", "transaction"}
_EXPRESSIONS = {  # BPMN elements whose text is an expression, by kind
    "conditionExpression": "condition", "completionCondition": "completion condition",
    "loopCardinality": "loop cardinality", "loopCondition": "loop condition", "timeDate": "timer date",
    "timeDuration": "timer duration", "timeCycle": "timer cycle", "condition": "condition",
}
_SPIFF_EXPRESSIONS = {"messagePayload": "message payload", "payloadExpression": "message payload",
                      "expression": "correlation expression"}
_ASSIGNMENT = ("assignee", "candidateUsers", "candidateGroups", "candidateRoles", "dueDate", "fourEyes")
_MAPPABLE = {"task", "userTask", "manualTask", "serviceTask", "businessRuleTask"}
_TIMER = ("timeDate", "timeDuration", "timeCycle")


def canonicalize(root: etree._Element, *, filename: str, python_scripts: bool) -> None:
    """Rewrite every expression of the model in place; ModelError (with the file) when one is refused."""
    checker = Checker(python_scripts=python_scripts, default_language=root.get("expressionLanguage"))
    try:
        _rewrite(root, checker)
    except ModelError as exc:
        if not exc.file:
            exc = ModelError(exc.reason, file=filename, element_id=exc.element_id, line=exc.line, kind=exc.kind,
                             expression=exc.expression, position=exc.position)
        raise exc from None


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _element_of(node: etree._Element) -> str:
    """The id of the flow element (task, event, gateway, sequence flow) a node belongs to."""
    current: etree._Element | None = node
    while current is not None:
        parent = current.getparent()
        if current.get("id") and (parent is None or _local(parent) in _CONTAINERS):
            return str(current.get("id"))
        current = parent
    return str(node.get("id") or "")


def _rewrite(root: etree._Element, checker: Checker) -> None:
    for node in list(root.iter()):
        if not isinstance(node.tag, str):
            continue
        namespace, local = etree.QName(node).namespace, etree.QName(node).localname
        if namespace == BPMN and local in _EXPRESSIONS:
            _expression_text(node, checker, _EXPRESSIONS[local])
        elif namespace == BPMN and local == "formalExpression" and (parent := node.getparent()) is not None \
                and _local(parent) == "correlationPropertyRetrievalExpression":
            _expression_text(node, checker, "correlation expression")
        elif namespace == BPMN and local == "scriptTask":
            _script_task(node, checker)
        elif namespace == BPMN and local == "multiInstanceLoopCharacteristics":
            _loop(node, checker)
        elif namespace == SPIFF and local in ("preScript", "postScript") and node.text and node.text.strip():
            kind = "pre-script" if local == "preScript" else "post-script"
            node.text = checker.python(node.text, element=_element_of(node), kind=kind, mode="exec")
        elif namespace == SPIFF and local in _SPIFF_EXPRESSIONS and node.text and node.text.strip():
            node.text = checker.expression(node.text, element=_element_of(node), kind=_SPIFF_EXPRESSIONS[local])
        elif namespace == SPIFF and local == "parameter" and node.get("value") is not None:
            node.set("value", checker.expression(node.get("value", ""), element=_element_of(node),
                                                 kind=f"service parameter {node.get('id')}"))
        if namespace == BPMN:
            _assignment(node, checker)
            if local == "serviceTask":
                _service_parameters(node, checker)
            _mappings(node, checker)


def _expression_text(node: etree._Element, checker: Checker, kind: str) -> None:
    text = node.text or ""
    if not text.strip():
        node.text = None
        return
    if kind.startswith("timer") and _iso_literal(text):
        node.text = "=" + json.dumps(text.strip())
        return
    node.text = checker.expression(text, element=_element_of(node), kind=kind, declared=node.get("language"))


def _assignment(node: etree._Element, checker: Checker) -> None:
    """Assignment attributes and properties: fixed names stay text, `${...}` / `=...` become FEEL."""
    element = node.get("id", "")
    for key in _ASSIGNMENT:
        value = node.get(f"{{{CAMUNDA}}}{key}")
        if value is not None:
            node.set(f"{{{CAMUNDA}}}{key}", _maybe_expression(value, checker, element, key))
    for definition in node.findall(f"{{{BPMN}}}extensionElements/{{{ZEEBE}}}assignmentDefinition"):
        for key in ("assignee", "candidateGroups", "candidateUsers"):
            if definition.get(key) is not None:
                definition.set(key, _maybe_expression(definition.get(key, ""), checker, element, key))
    props = node.findall(f"{{{BPMN}}}extensionElements/{{{CAMUNDA}}}properties/{{{CAMUNDA}}}property")
    props += node.findall(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}properties/{{{SPIFF}}}property")
    for prop in props:
        if prop.get("name") in _ASSIGNMENT and _local(node) != "serviceTask":
            prop.set("value", _maybe_expression(prop.get("value", ""), checker, element, prop.get("name", "")))


def _maybe_expression(value: str, checker: Checker, element: str, kind: str) -> str:
    text = value.strip()
    if text.startswith(("=", "${", "#{")):
        return checker.expression(text, element=element, kind=kind)
    if "${" in text or "#{" in text:
        return checker.expression(text, element=element, kind=kind)  # refused: text around an expression
    return value


def _service_parameters(node: etree._Element, checker: Checker) -> None:
    element = node.get("id", "")
    for prop in node.findall(f"{{{BPMN}}}extensionElements/{{{CAMUNDA}}}properties/{{{CAMUNDA}}}property"):
        parent = prop.getparent()
        if not prop.get("value", "").strip() and parent is not None:
            # An optional element-template field left blank: the parameter is not given.
            parent.remove(prop)
            continue
        prop.set("value", checker.expression(prop.get("value", ""), element=element,
                                             kind=f"service parameter {prop.get('name')}"))


def _mappings(node: etree._Element, checker: Checker) -> None:
    """camunda:inputOutput / zeebe:ioMapping become a FEEL context merged before / after the task."""
    element = node.get("id", "")
    inputs: dict[str, str] = {}
    outputs: dict[str, str] = {}
    for io in node.findall(f"{{{BPMN}}}extensionElements/{{{CAMUNDA}}}inputOutput"):
        for param in io:
            if not isinstance(param.tag, str):
                continue
            target = inputs if _local(param) == "inputParameter" else outputs
            kind = "input mapping" if target is inputs else "output mapping"
            name = checker.variable(param.get("name", ""), element=element, kind=kind)
            if len(param):
                raise checker.refuse("only text values are supported in mappings (no camunda:list, map or script)",
                                     element=element, kind=kind, text=name)
            target[name] = _mapping_value(param.text or "", checker, element, kind)
    for io in node.findall(f"{{{BPMN}}}extensionElements/{{{ZEEBE}}}ioMapping"):
        for param in io:
            if not isinstance(param.tag, str):
                continue
            target = inputs if _local(param) == "input" else outputs
            kind = "input mapping" if target is inputs else "output mapping"
            name = checker.variable(param.get("target", ""), element=element, kind=kind)
            target[name] = _mapping_value(param.get("source", ""), checker, element, kind)
    if not (inputs or outputs):
        return
    if _local(node) not in _MAPPABLE:
        raise checker.refuse(f"input/output mappings are supported on {', '.join(sorted(_MAPPABLE))} only",
                             element=element, kind="input mapping", text=_local(node))
    extensions = node.find(f"{{{BPMN}}}extensionElements")
    assert extensions is not None
    for tag, entries in (("preScript", inputs), ("postScript", outputs)):
        if not entries:
            continue
        if extensions.find(f"{{{SPIFF}}}{tag}") is not None:
            raise checker.refuse(f"a task cannot have both mappings and a spiffworkflow:{tag}", element=element,
                                 kind="input mapping" if tag == "preScript" else "output mapping", text=tag)
        script = etree.SubElement(extensions, f"{{{SPIFF}}}{tag}")
        script.text = "=" + context_of(entries)


def _mapping_value(text: str, checker: Checker, element: str, kind: str) -> str:
    source = text.strip()
    if not source:
        return "null"
    if source.startswith("=") or "${" in source or "#{" in source:
        return checker.expression(source, element=element, kind=kind)[1:]
    return json.dumps(text)  # a plain value is a string, as the modelers mean it


def _script_task(node: etree._Element, checker: Checker) -> None:
    element = node.get("id", "")
    zeebe = node.find(f"{{{BPMN}}}extensionElements/{{{ZEEBE}}}script")
    script = node.find(f"{{{BPMN}}}script")
    if zeebe is not None:
        text = zeebe.get("expression", "")
        result = zeebe.get("resultVariable")
        canonical = checker.script(text, element=element, result_variable=result, script_format="feel", zeebe=True)
    elif script is not None and (script.text or "").strip():
        canonical = checker.script(script.text or "", element=element,
                                   result_variable=node.get(f"{{{CAMUNDA}}}resultVariable"),
                                   script_format=node.get("scriptFormat"))
    else:
        return
    if script is None:
        script = etree.Element(f"{{{BPMN}}}script")
        incoming = node.findall(f"{{{BPMN}}}incoming") + node.findall(f"{{{BPMN}}}outgoing")
        (incoming[-1].addnext(script) if incoming else node.append(script))
    script.text = canonical


def _loop(node: etree._Element, checker: Checker) -> None:
    """Multi-instance: camunda:collection / zeebe:loopCharacteristics as a data reference or a FEEL list."""
    element = _element_of(node)
    collection = node.get(f"{{{CAMUNDA}}}collection")
    variable = node.get(f"{{{CAMUNDA}}}elementVariable")
    zeebe = node.find(f"{{{BPMN}}}extensionElements/{{{ZEEBE}}}loopCharacteristics")
    if zeebe is not None:
        collection = zeebe.get("inputCollection") or collection
        variable = zeebe.get("inputElement") or variable
    if not collection or node.find(f"{{{BPMN}}}loopDataInputRef") is not None:
        return
    canonical = checker.expression(collection, element=element, kind="multi-instance collection",
                                   declared=None if collection.strip().startswith(("=", "${", "#{")) else "feel")
    ref = etree.Element(f"{{{BPMN}}}loopDataInputRef")
    ref.text = plain_name(canonical) or canonical
    node.insert(0, ref)
    if variable and node.find(f"{{{BPMN}}}inputDataItem") is None:
        name = checker.variable(variable, element=element, kind="multi-instance element variable")
        node.insert(1, etree.Element(f"{{{BPMN}}}inputDataItem", id=name, name=name))


def _iso_literal(text: str) -> bool:
    return iso_literal(text) is not None
