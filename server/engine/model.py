"""A deployable model: BPMN specs + DMN decisions + forms, checked as a whole at deploy time."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask

from server.decisions import DecisionParseError, parse_dmn
from server.engine.canonical_source import canonical_json, canonical_xml
from server.engine.expressions import Checker
from server.engine.parser import ParsedProcess, parse_process
from server.engine.services import ServiceRegistry
from server.engine.specs import DecisionTask, DispatchServiceTask, ExpressionCollection
from server.engine.types import ModelError
from server.wording import NO_TEXTS, Texts, is_catalogue, parse_catalogues


@dataclasses.dataclass(frozen=True)
class ElementInfo:
    element_id: str
    name: str
    kind: str


@dataclasses.dataclass(frozen=True)
class CompiledModel:
    """Everything needed to run instances of one model version; immutable and shared."""

    process: ParsedProcess
    decisions: Mapping[str, Any]
    forms: Mapping[str, Any]
    services: ServiceRegistry
    elements: Mapping[str, ElementInfo]
    python_scripts: bool = False  # compiled with Python allowed (run time also asks the environment)
    # The model's translation catalogues (server.wording), per language.
    catalogues: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)

    @property
    def process_id(self) -> str:
        return self.process.process_id

    def texts(self, language: str) -> Texts:
        """The model's texts in `language` (the texts as drawn when it has no catalogue for it)."""
        entries = self.catalogues.get(language)
        return Texts(entries) if entries else NO_TEXTS


def checksum(bpmn: Mapping[str, bytes], dmn: Mapping[str, bytes], forms: Mapping[str, bytes]) -> str:
    """SHA-256 over the canonical form of every source, by file name: re-deploying the same model,
    however an editor re-saved it (attribute order, quoting, indentation), gives the same checksum."""
    digest = hashlib.sha256()
    for kind, files in (("bpmn", bpmn), ("dmn", dmn), ("form", forms)):
        canonical = canonical_json if kind == "form" else canonical_xml
        for name in sorted(files):
            text = canonical(files[name])
            digest.update(f"{kind}:{name}:{len(text)}:".encode())
            digest.update(text)
    return digest.hexdigest()


def compile_model(*, bpmn: Mapping[str, bytes], dmn: Mapping[str, bytes] | None = None,
                  forms: Mapping[str, bytes] | None = None, services: ServiceRegistry,
                  process_id: str | None = None, python_scripts: bool = False) -> CompiledModel:
    """Parse and validate a model; ModelError names the file, element id and reason.

    Expressions are FEEL (JUEL `${...}` is translated); a Python script or expression is refused
    unless `python_scripts` (the environment's setting) allows it, and then runs in server.sandbox."""
    process = parse_process(bpmn, process_id=process_id, python_scripts=python_scripts)
    decisions = _parse_decisions(dmn or {})
    parsed_forms = _parse_forms({k: v for k, v in (forms or {}).items() if not is_catalogue(k)})
    try:
        catalogues = parse_catalogues(forms or {})
    except ValueError as exc:
        raise ModelError(str(exc), file=str(exc).split(":", 1)[0]) from None
    elements: dict[str, ElementInfo] = {}
    for spec in _all_task_specs(process):
        element_id = getattr(spec, "bpmn_id", None)
        if not element_id:
            continue
        elements[element_id] = ElementInfo(element_id, getattr(spec, "bpmn_name", None) or "",
                                           type(spec).__name__)
        _check_spec(spec, decisions=decisions, services=services, forms=parsed_forms)
        _expression_collection(spec)
    return CompiledModel(process, decisions, parsed_forms, services, elements, python_scripts, catalogues)


def _all_task_specs(process: ParsedProcess) -> Iterator[Any]:
    yield from process.spec.task_specs.values()
    for sub in process.subprocess_specs.values():
        if sub is not None:
            yield from sub.task_specs.values()


def _check_spec(spec: Any, *, decisions: Mapping[str, Any], services: ServiceRegistry,
                forms: Mapping[str, Any]) -> None:
    element = spec.bpmn_id
    if isinstance(spec, DispatchServiceTask) and spec.operation_name not in services.names:
        raise ModelError(f"unknown service {spec.operation_name!r}; known: {', '.join(sorted(services.names))}",
                         element_id=element)
    if isinstance(spec, DecisionTask) and not any(spec.decision_ref in m.decision_ids for m in decisions.values()):
        raise ModelError(f"no DMN decision with id {spec.decision_ref!r} in the deployed tables",
                         element_id=element)
    if isinstance(spec, DecisionTask):  # a decision the process uses (or one it requires) must compile
        for filename, model in decisions.items():
            broken = model.broken(spec.decision_ref) if spec.decision_ref in model.decision_ids else None
            if broken is not None:
                raise ModelError(str(broken), element_id=element, file=filename, cell=_cell(broken))
    form_key = (getattr(spec, "extensions", None) or {}).get("camunda", {}).get("formKey")
    if form_key and form_key.startswith("stroom:") and form_key[len("stroom:"):] not in forms:
        raise ModelError(f"form {form_key!r} is not among the deployed forms", element_id=element)


def _expression_collection(spec: Any) -> None:
    """A multi-instance collection written as an expression (`=split(names, ",")`) is evaluated, not looked up."""
    data_input = getattr(spec, "data_input", None)
    if isinstance(spec, MultiInstanceTask) and data_input is not None and not isinstance(
            data_input, ExpressionCollection) and str(data_input.bpmn_id).startswith("="):
        spec.data_input = ExpressionCollection(data_input.bpmn_id)


def _parse_decisions(dmn: Mapping[str, bytes]) -> dict[str, Any]:
    if not dmn:
        return {}
    parsed: dict[str, Any] = {}
    for filename, source in dmn.items():
        try:
            # lenient: a decision that does not compile fails only the processes that use it (_check_spec)
            parsed[filename] = parse_dmn(source, source=filename, lenient=True)
        except DecisionParseError as exc:
            raise ModelError(str(exc), file=filename, cell=_cell(exc)) from None
    return parsed


def _cell(error: DecisionParseError) -> dict[str, Any]:
    """Where in a decision table the error is, for the DMN editor to mark the cell."""
    return {"decision": error.decision, "rule": error.rule, "column": error.column, "dmn_reason": error.reason}


def _parse_forms(forms: Mapping[str, bytes]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for filename, source in forms.items():
        try:
            schema = json.loads(source)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelError(f"form is not valid JSON: {exc}", file=filename) from None
        if not isinstance(schema, dict):
            raise ModelError("form must be a JSON object (a form-js schema)", file=filename)
        _check_form_conditions(schema, filename=filename)
        parsed[schema.get("id") or filename.rsplit(".", 1)[0]] = schema
        parsed.setdefault(filename.rsplit(".", 1)[0], schema)
    return parsed


def _check_form_conditions(schema: Mapping[str, Any], *, filename: str) -> None:
    """Every `conditional.hide` of a form is valid FEEL, or the deploy names the form, field and text.

    The server evaluates these when a task is completed; checked here, a bad one is a 422 at deploy
    instead of a condition that silently hides nothing.
    """
    checker = Checker(python_scripts=False)
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        stack.extend(node.get("components") or [])
        hide = (node.get("conditional") or {}).get("hide") if isinstance(node.get("conditional"), dict) else None
        if not isinstance(hide, str) or not hide.strip():
            continue
        field = str(node.get("key") or node.get("id") or node.get("type") or "?")
        text = hide.strip()
        try:
            checker.feel(text.removeprefix("="), element=field, kind="form condition",
                         original=hide)
        except ModelError as exc:
            raise ModelError(exc.reason, file=filename, element_id=field, kind=exc.kind,
                             expression=exc.expression, position=exc.position) from None
