"""What a model declares its start data to be, and checking a manual start against it.

Two declarations, as the modelers write them: the process property `stroom:startData`
(`camunda:property` or `zeebe:property`), a comma-separated list of `name: type` (types: string,
number, boolean, email, context, list; a trailing `?` makes the field optional), and the start
event's form (`camunda:formKey`), whose fields with `validate.required` must be given. A start that
misses a field is a 422 naming it, never an instance that fails at its first step.
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from lxml import etree

from server.errors import InvalidInput

START_DATA = "stroom:startData"
TYPES = ("string", "number", "boolean", "email", "context", "list", "any")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclasses.dataclass(frozen=True)
class StartField:
    """One declared start field: its name, type and whether a start must give it."""

    name: str
    type: str = "any"
    required: bool = True


def declared_fields(bpmn_sources: Mapping[str, str], process_id: str,
                    forms: Mapping[str, Any]) -> list[StartField]:
    """The start fields a process declares (its `stroom:startData` property, then its start form)."""
    for text in bpmn_sources.values():
        if f'id="{process_id}"' not in text:
            continue
        root = etree.fromstring(text.encode("utf-8"), _PARSER)
        for process in root.iterfind("{*}process"):
            if process.get("id") == process_id:
                return _from_property(process) + _from_start_form(process, forms)
    return []


def _from_property(process: Any) -> list[StartField]:
    fields = []
    for prop in process.iterfind("{*}extensionElements/{*}properties/{*}property"):
        if prop.get("name") != START_DATA:
            continue
        for part in (prop.get("value") or "").split(","):
            name, _, kind = (p.strip() for p in part.partition(":"))
            optional = kind.endswith("?") or name.endswith("?")
            name, kind = name.rstrip("?"), kind.rstrip("?") or "any"
            if name:
                fields.append(StartField(name, kind if kind in TYPES else "any", not optional))
    return fields


def _from_start_form(process: Any, forms: Mapping[str, Any]) -> list[StartField]:
    fields = []
    for start in process.iterfind("{*}startEvent"):
        key = next((v for k, v in start.attrib.items() if k.endswith(("}formKey", "}formRef"))), "")
        schema = forms.get(key.removeprefix("stroom:")) if key else None
        for component in (schema or {}).get("components", []):
            if isinstance(component, dict) and component.get("key"):
                rules = component.get("validate") or {}
                kind = {"number": "number", "checkbox": "boolean"}.get(component.get("type", ""), "any")
                kind = "email" if rules.get("validationType") == "email" else kind
                fields.append(StartField(str(component["key"]), kind, bool(rules.get("required"))))
    return fields


def check(fields: list[StartField], data: Mapping[str, Any]) -> None:
    """InvalidInput (422, code invalid_start_data) naming every missing or ill-typed field."""
    found = problems(fields, data)
    if found:
        raise InvalidInput(f"the start data does not fit the model: {said(found)}", code="invalid_start_data",
                           details=found)


def said(found: list[dict[str, str]]) -> str:
    """The problems in one sentence part: `amount must be a number; supplier is required`."""
    return "; ".join(f"{p['field']} {'is required' if p['problem'] == 'required' else p['problem']}" for p in found)


def problems(fields: list[StartField], data: Mapping[str, Any]) -> list[dict[str, str]]:
    """Each missing or ill-typed declared field: {field, problem, type}; empty when `data` fits."""
    problems = []
    for field in fields:
        value = data.get(field.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if field.required:
                problems.append({"field": field.name, "problem": "required", "type": field.type})
        elif not _fits(field.type, value):
            problems.append({"field": field.name, "problem": f"must be {_article(field.type)}", "type": field.type})
    return problems


def _fits(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "number":
        return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "email":
        return isinstance(value, str) and bool(_EMAIL.match(value.strip()))
    if kind == "context":
        return isinstance(value, dict)
    if kind == "list":
        return isinstance(value, list)
    return True


def _article(kind: str) -> str:
    return {"email": "an e-mail address", "context": "an object"}.get(kind, f"a {kind}")
