"""Server-rendered task forms from form-js schemas: field descriptors in, typed values out.

Rendering on the server keeps the task page working without JavaScript and leaves the final
validation where it belongs (the tasks service validates against the same schema on complete).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from server.pages.words import N_

INPUT_TYPES = ("textfield", "textarea", "number", "checkbox", "select", "radio", "datetime", "checklist")
DEFAULT_FIELDS: tuple[dict[str, Any], ...] = (
    {"type": "radio", "key": "decision", "label": N_("Decision"), "validate": {"required": True},
     "values": [{"value": "approve", "label": N_("Approve")}, {"value": "disapprove", "label": N_("Disapprove")}]},
    {"type": "textarea", "key": "comment", "label": N_("Comment")},
)


@dataclasses.dataclass(frozen=True)
class Field:
    """One input of a task form, as the template renders it."""

    kind: str
    key: str
    label: str
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    description: str = ""
    text: str = ""
    default: Any = None


def _components(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Components in order, flattening groups and dynamic lists' children."""
    found: list[Mapping[str, Any]] = []
    for comp in schema.get("components", []) or []:
        if not isinstance(comp, Mapping):
            continue
        if comp.get("components"):
            found.extend(_components(comp))
        else:
            found.append(comp)
    return found


def fields_of(schema: Mapping[str, Any] | None) -> list[Field]:
    """The inputs and texts of a form-js schema; a decision + comment form when there is none."""
    comps = _components(schema or {}) if has_inputs(schema) else list(DEFAULT_FIELDS)
    result = []
    for comp in comps:
        kind = str(comp.get("type", ""))
        if kind == "text":
            result.append(Field(kind="text", key="", label="", text=str(comp.get("text", ""))))
        elif kind in INPUT_TYPES and comp.get("key"):
            options = tuple((str(v.get("value")), str(v.get("label", v.get("value"))))
                            for v in comp.get("values", []) or [] if isinstance(v, Mapping))
            result.append(Field(kind=kind, key=str(comp["key"]), label=str(comp.get("label") or comp["key"]),
                                required=bool((comp.get("validate") or {}).get("required")), options=options,
                                description=str(comp.get("description") or ""), default=comp.get("defaultValue")))
    return result


def values_from(fields: list[Field], form: Mapping[str, Any], lists: Mapping[str, list[str]]) -> dict[str, Any]:
    """Typed values from a posted form: numbers as Decimal, checkboxes as booleans, checklists as lists."""
    data: dict[str, Any] = {}
    for field in fields:
        if field.kind == "text":
            continue
        raw = form.get(field.key)
        if field.kind == "checkbox":
            data[field.key] = raw in ("on", "true", "1")
        elif field.kind == "checklist":
            data[field.key] = list(lists.get(field.key, []))
        elif field.kind == "number":
            data[field.key] = _number(raw)
        elif raw is not None and raw != "":
            data[field.key] = str(raw)
    return data


def _number(raw: Any) -> Any:
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).replace(",", "."))
    except InvalidOperation:
        return str(raw)  # left for validation to refuse with a message
    return int(value) if value == value.to_integral_value() and "." not in str(raw) else value


def missing_required(fields: list[Field], data: Mapping[str, Any]) -> list[str]:
    """Labels of required fields left empty (the service repeats this check authoritatively)."""
    return [f.label for f in fields if f.required and data.get(f.key) in (None, "", [], False)
            and f.kind != "checkbox"]


def has_inputs(schema: Mapping[str, Any] | None) -> bool:
    """Whether the schema has input fields of its own (else the default decision form is shown)."""
    return any(c.get("type") in INPUT_TYPES and c.get("key") for c in _components(schema or {}))


def decision_key(fields: list[Field]) -> str | None:
    """The key of a radio/select offering approve and disapprove (rendered as two buttons)."""
    for field in fields:
        values = {value for value, _label in field.options}
        if field.kind in ("radio", "select") and {"approve", "disapprove"} <= values:
            return field.key
    return None
