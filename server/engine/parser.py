"""Parsing and validating models: SpiffWorkflow's Spiff parser, extended at one seam.

The seam: every task parser also collects the attributes and properties the bpmn.io modelers write
in the camunda namespace (assignee, candidateGroups, formKey, topic, decisionRef ...), which the
engine's own parsers drop. Service tasks and business rule tasks get Stroom's own specs.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser, UserTaskParser

from server.engine.canonical import canonicalize
from server.engine.documentation import strip_documentation
from server.engine.implicit_splits import make_splits_explicit
from server.engine.specs import DecisionTask, DispatchServiceTask
from server.engine.types import ModelError

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_MODEL_BYTES = 5 * 1024 * 1024
# What SpiffWorkflow's parser raises on hostile input it does not validate (e.g. "580-0" as a
# diagram coordinate); found by tests/fuzz. Deploying must refuse with a ModelError, never a 500.
_MALFORMED = (ValueError, TypeError, KeyError, AttributeError, IndexError)


def safe_xml(source: bytes, *, filename: str) -> etree._Element:
    """Parse model XML with no DTD, no entities and no network; a DOCTYPE is refused."""
    if len(source) > MAX_MODEL_BYTES:
        raise ModelError("file is larger than 5 MB", file=filename)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_comments=True, huge_tree=False)
    try:
        root = etree.fromstring(source, parser)
    except etree.XMLSyntaxError as exc:
        raise ModelError(f"not well-formed XML: {exc.msg}", file=filename, line=exc.lineno) from None
    if root.getroottree().docinfo.doctype:
        raise ModelError("DOCTYPE declarations are not allowed", file=filename)
    return root


def _camunda(node: etree._Element) -> dict[str, Any]:
    """Attributes and properties written by Camunda / Zeebe modelers, by local name."""
    found: dict[str, Any] = {}
    for key, value in node.attrib.items():
        qname = etree.QName(key)
        if qname.namespace in (CAMUNDA_NS, ZEEBE_NS):
            found[qname.localname] = value
    props = node.findall(f"{{*}}extensionElements/{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property")
    for prop in props:
        found.setdefault("properties", {})[prop.get("name", "")] = prop.get("value", "")
    for tag in ("assignmentDefinition", "taskDefinition", "calledDecision", "formDefinition"):
        for el in node.findall(f"{{*}}extensionElements/{{{ZEEBE_NS}}}{tag}"):
            for key, value in el.attrib.items():
                found.setdefault(f"zeebe_{tag}", {})[key] = value
    return found


class _ExtensionsMixin:
    """The one seam: keep the camunda/zeebe attributes beside the spiff extensions."""

    node: etree._Element

    def parse_extensions(self, node: etree._Element | None = None) -> dict[str, Any]:
        node = self.node if node is None else node
        extensions = SpiffTaskParser._parse_extensions(node)
        camunda = _camunda(node)
        if camunda:
            extensions["camunda"] = camunda
        return extensions


class StroomTaskParser(_ExtensionsMixin, SpiffTaskParser):
    pass


class StroomUserTaskParser(_ExtensionsMixin, UserTaskParser):
    pass


class StroomServiceTaskParser(_ExtensionsMixin, SpiffTaskParser):
    """Operation from spiffworkflow:serviceTaskOperator, camunda:topic/type, or zeebe:taskDefinition."""

    def create_task(self) -> Any:
        ext = self.parse_extensions()
        operator = ext.get("serviceTaskOperator")
        camunda = ext.get("camunda", {})
        params: dict[str, Any] = {}
        result_variable = None
        if operator:
            name, params, result_variable = operator["name"], operator["parameters"], operator["resultVariable"]
        else:
            name = camunda.get("topic") or camunda.get("zeebe_taskDefinition", {}).get("type")
            name = name or _strip_expression(camunda.get("delegateExpression") or camunda.get("expression"))
            result_variable = camunda.get("resultVariable")
            for key, value in camunda.get("properties", {}).items():
                params[key] = {"value": value, "type": "any"}
        if not name:
            raise ValidationException("a service task must name its operation (spiffworkflow:serviceTaskOperator"
                                      " or camunda:topic)", node=self.node, file_name=self.filename)
        return DispatchServiceTask(
            self.spec, self.bpmn_id, operation_name=name, operation_params=params,
            result_variable=result_variable, merge_result=not result_variable,
            prescript=ext.get("preScript"), postscript=ext.get("postScript"), **self.bpmn_attributes)


class StroomBusinessRuleTaskParser(_ExtensionsMixin, SpiffTaskParser):
    """A business rule task calls a decision of the model's DMN files through server.decisions."""

    def create_task(self) -> Any:
        ref = self.get_decision_ref(self.node)
        if not ref:
            raise ValidationException("a business rule task must name its decision (camunda:decisionRef or "
                                      "spiffworkflow:calledDecisionId)", node=self.node, file_name=self.filename)
        ext = self.parse_extensions()
        return DecisionTask(self.spec, self.bpmn_id, decision_ref=ref, prescript=ext.get("preScript"),
                            postscript=ext.get("postScript"), **self.bpmn_attributes)

    @staticmethod
    def get_decision_ref(node: etree._Element) -> str | None:
        ext = SpiffTaskParser._parse_extensions(node)
        camunda = _camunda(node)
        return (ext.get("calledDecisionId") or camunda.get("decisionRef")
                or camunda.get("zeebe_calledDecision", {}).get("decisionId"))


def _strip_expression(text: str | None) -> str | None:
    if text and text.startswith("${") and text.endswith("}"):
        return text[2:-1].strip()
    return text


class _DataObjectRefs:
    """The data object lookup every Stroom node parser uses instead of SpiffWorkflow 3.2's.

    SpiffWorkflow's lookup went from the process to its parent and then looked at that same parent
    forever: a reference to a data object two levels up, or to none at all from inside a subprocess,
    made a deploy spin at 100% CPU (tests/unit/engine/test_data_object_references)."""

    process_parser: Any
    node: etree._Element
    filename: str | None

    def _resolve_data_object_ref(self, ref: etree._Element | None) -> Any:
        """The data object a dataObjectReference names: declared in the element's own (sub)process or
        any process around it. None when there is no such reference (the caller then looks for a data
        store); a reference to an undeclared data object is a ValidationException naming both."""
        if ref is None:
            return None
        name = ref.get("dataObjectRef")
        current = self.process_parser
        while current is not None:
            found = current.spec.data_objects.get(name)
            if found is not None:
                return found
            current = current.parent
        raise ValidationException(f"data object reference {ref.get('id')!r} names data object {name!r}, which "
                                  "is not declared in this process or one around it", node=self.node,
                                  file_name=self.filename)


_STROOM_PARSERS: dict[str, tuple[type, type]] = {
    full_tag("task"): (StroomTaskParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("task")][1]),
    full_tag("manualTask"): (StroomTaskParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("manualTask")][1]),
    full_tag("userTask"): (StroomUserTaskParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1]),
    full_tag("serviceTask"): (StroomServiceTaskParser, DispatchServiceTask),
    full_tag("businessRuleTask"): (StroomBusinessRuleTaskParser, DecisionTask),
}


def _parser_classes() -> dict[str, tuple[type, type]]:
    """For every BPMN tag, a subclass of the parser SpiffBpmnParser would use (or Stroom's own) with
    Stroom's data object lookup: built from copies of the library's tables, which stay untouched."""
    chosen = {**SpiffBpmnParser.PARSER_CLASSES, **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES, **_STROOM_PARSERS}
    return {tag: (type(f"Stroom{parser.__name__}", (_DataObjectRefs, parser), {}), spec)
            for tag, (parser, spec) in chosen.items()}


class StroomParser(SpiffBpmnParser):
    """SpiffBpmnParser with Stroom's node parsers; DMN is handled by server.decisions, not here."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = _parser_classes()

    def get_engine(self, decision_ref: str, node: Any) -> None:  # pragma: no cover - never reached
        raise AssertionError("DMN is evaluated by server.decisions")


@dataclasses.dataclass(frozen=True)
class ParsedProcess:
    """The engine's specs for one model version (shared, read-only, cached per version)."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]


def parse_process(bpmn_sources: Mapping[str, bytes], *, process_id: str | None = None,
                  python_scripts: bool = False) -> ParsedProcess:
    """Parse BPMN files into specs for one executable process; ModelError names file, element, reason.

    Every expression is checked and made canonical first (server.engine.canonical): FEEL, or Python
    only where `python_scripts` allows it."""
    parser = StroomParser()
    roots: dict[str, etree._Element] = {}
    for filename, source in bpmn_sources.items():
        root = safe_xml(source, filename=filename)
        canonicalize(root, filename=filename, python_scripts=python_scripts)
        strip_documentation(root)
        _check_data_associations(root, filename)
        make_splits_explicit(root)
        roots[filename] = root
        try:
            parser.add_bpmn_xml(root, filename=filename)
        except ValidationException as exc:
            raise _model_error(exc) from None
        except SpiffWorkflowException as exc:
            raise ModelError(_plain(str(exc)), file=filename) from None
        except _MALFORMED as exc:
            raise ModelError(_plain(f"malformed model: {exc}"), file=filename) from None
    processes = parser.get_process_ids()
    executable = [pid for pid in processes if parser.get_process_parser(pid).node.get("isExecutable") != "false"]
    if not executable:
        raise ModelError("no executable process: every process in this model is marked not executable "
                         "(isExecutable=\"false\"); mark the one Stroom should run as executable",
                         file=", ".join(bpmn_sources), element_id=processes[0] if processes else "")
    try:
        chosen = process_id or _top_process(parser, executable)
        spec = parser.get_spec(chosen)
        subprocess_specs = parser.get_subprocess_specs(chosen)
    except ValidationException as exc:
        raise _caller_error(str(exc.args[0]) if exc.args else "", roots) or _model_error(exc) from None
    except SpiffWorkflowException as exc:
        raise _caller_error(str(exc), roots) or ModelError(_plain(str(exc))) from None
    except _MALFORMED as exc:
        raise ModelError(_plain(f"malformed model: {exc}"), file=", ".join(bpmn_sources)) from None
    return ParsedProcess(chosen, spec.description or chosen, spec, subprocess_specs)


def _top_process(parser: StroomParser, candidates: list[str]) -> str:
    """The executable process that no other process calls (the first one if several)."""
    called = {ts.spec for pid in candidates for ts in parser.get_spec(pid).task_specs.values()
              if hasattr(ts, "spec") and isinstance(getattr(ts, "spec", None), str)}
    top = [pid for pid in candidates if pid not in called]
    return (top or candidates)[0]


def _model_error(exc: ValidationException) -> ModelError:
    line = exc.line_number if isinstance(exc.line_number, int) else None
    message = _plain(str(exc.args[0]) if exc.args else str(exc))
    element = exc.id or ""
    if exc.tag and element:
        message = f"{message} [{exc.tag}]"
    return ModelError(message, file=exc.file_name, element_id=element, line=line)


# The engine's own refusals, said the way a designer reads them (the engine's words stay searchable in
# its source; these say what to change).
_PLAIN_MESSAGES = (
    ("Unknown Time Specification", "the timer has no date, duration or cycle that can be read: set one of them"),
    ("Non-default exclusive outgoing sequence flow without condition",
     ("this flow leaves an exclusive gateway without a condition and is not the gateway's default flow: give it "
      "a condition or make it the default flow")),
    ("A SubWorkflow Must contain an End event", "the sub-process has no end event: draw one"),
    ("Exactly one start event is required in a SubWorkflow Task",
     "a sub-process needs exactly one plain start event inside it"),
    ("Data Store identifier is missing", "a data store has no id"),
)
_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-f]+>")


def _plain(message: str) -> str:
    """One line in plain words: no Python object reprs, the engine's known refusals reworded."""
    for engine_words, plain in _PLAIN_MESSAGES:
        if engine_words in message:
            return plain
    message = _REPR.sub(lambda match: f"<{match.group(1)}>", message)
    return " ".join(message.split())


def _caller_error(message: str, roots: Mapping[str, etree._Element]) -> ModelError | None:
    """'The process X was not found' is about the call activity that calls X: name it."""
    called = re.match(r"The process '([^']+)' was not found", message)
    if called:
        for filename, root in roots.items():
            for node in root.iter(f"{{{BPMN_NS}}}callActivity"):
                if node.get("calledElement") == called.group(1):
                    return ModelError(f"the call activity calls process {called.group(1)!r}, which no file of this "
                                      "model defines: add that process's file or correct the called element",
                                      file=filename, element_id=node.get("id", ""))
    return None


_ASSOCIATION_ENDS = {"dataInputAssociation": ("sourceRef", "reads"), "dataOutputAssociation": ("targetRef", "writes")}


def _check_data_associations(root: etree._Element, filename: str) -> None:
    """A data association must name a data object reference (or a data store, taken out before this)."""
    by_id = {node.get("id"): node for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    for local, (end, verb) in _ASSOCIATION_ENDS.items():
        for association in root.iter(f"{{{BPMN_NS}}}{local}"):
            for ref in association.iter(f"{{{BPMN_NS}}}{end}"):
                target = by_id.get((ref.text or "").strip())
                if target is not None and etree.QName(target).localname == "dataObjectReference":
                    continue
                owner = association.getparent()
                what = (f"{etree.QName(target).localname} {target.get('name') or target.get('id')!r}"
                        if target is not None else f"{(ref.text or '').strip()!r}, which is not in this model")
                raise ModelError(f"a data association {verb} {what}: Stroom reads and writes data objects (data "
                                 "object references) and process variables only; draw a data object or remove "
                                 "the association", file=filename,
                                 element_id=owner.get("id", "") if owner is not None else "")
