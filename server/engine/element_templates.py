"""Element templates (the Camunda 7 element-template JSON format) for every service of a registry.

A template makes a task a service task calling one registered service (`camunda:type="external"`,
`camunda:topic=<name>`, the binding the engine's service task parser reads) and offers the service's
parameters as `camunda:property` fields, typed and constrained, whose values are FEEL expressions.
The desktop Camunda Modeler and the designer page load the same list.
"""
from __future__ import annotations

import json
import re
from typing import Any

from server.engine.services import ServiceParam, ServiceRegistry

SCHEMA = "https://unpkg.com/@camunda/element-templates-json-schema/resources/schema.json"
TEMPLATE_VERSION = 1


def element_templates(registry: ServiceRegistry) -> list[dict[str, Any]]:
    """One template per service, sorted by label; ids are `stroom.<service name>`."""
    templates = [_template(name, registry) for name in registry.names]
    return sorted(templates, key=lambda t: str(t["name"]))


def _template(name: str, registry: ServiceRegistry) -> dict[str, Any]:
    info = registry.info(name)
    properties: list[dict[str, Any]] = [
        {"type": "Hidden", "value": "external", "binding": {"type": "property", "name": "camunda:type"}},
        {"type": "Hidden", "value": name, "binding": {"type": "property", "name": "camunda:topic"}},
    ]
    properties += [_field(param) for param in info.params]
    return {"$schema": SCHEMA, "id": f"stroom.{name}", "name": info.label, "version": TEMPLATE_VERSION,
            "description": info.description or info.label, "category": {"id": "stroom", "name": "Stroom"},
            "appliesTo": ["bpmn:Task"], "elementType": {"value": "bpmn:ServiceTask"},
            "properties": properties}


def _literal(choice: str) -> str:
    """A choice as the FEEL string literal the service parameter holds."""
    return json.dumps(choice)


def _field(param: ServiceParam) -> dict[str, Any]:
    field: dict[str, Any] = {"id": f"param_{param.name}", "label": param.label,
                             "binding": {"type": "camunda:property", "name": param.name}}
    constraints: dict[str, Any] = {}
    if param.required:
        constraints["notEmpty"] = True
    if param.kind == "choice" and param.required:
        field.update(type="Dropdown", value=_literal(param.choices[0]),
                     choices=[{"name": choice, "value": _literal(choice)} for choice in param.choices])
    else:
        field["type"] = "String"
        pattern = _pattern(param)
        if pattern:
            constraints["pattern"] = {"value": pattern, "message": _hint(param)}
    if param.description or param.kind == "choice":
        field["description"] = _hint(param)
    if constraints:
        field["constraints"] = constraints
    return field


def _pattern(param: ServiceParam) -> str | None:
    if param.kind == "choice":
        return "^(" + "|".join(re.escape(_literal(c)) for c in param.choices) + ")?$"
    if param.kind == "string":
        return r'^(".*")?$'
    return None


def _hint(param: ServiceParam) -> str:
    if param.kind == "choice":
        return "One of " + ", ".join(_literal(c) for c in param.choices) + (
            f". {param.description}" if param.description else "")
    return param.description or "A FEEL expression"
