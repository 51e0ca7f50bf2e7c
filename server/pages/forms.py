"""Server-rendered task forms from form-js schemas: field descriptors in, typed values out.

Rendering on the server keeps the task page working without JavaScript and leaves the final
validation where it belongs (the tasks service validates against the same schema on complete).
"""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape

from server.pages.words import N_
from server.tasks.forms import is_hidden

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
    readonly: bool = False
    # The decision values for which the field shows (form-js `conditional.hide`); None: always shown.
    show_for: tuple[str, ...] | None = None


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


def fields_of(schema: Mapping[str, Any] | None, data: Mapping[str, Any] | None = None) -> list[Field]:
    """The inputs and texts of a form-js schema (a decision + comment form when there is none), without the
    fields `conditional.hide` hides for `data`; a field hidden or shown by the decision names the values
    it shows for, so the page can show it (and require it) only for those."""
    comps = _components(schema or {}) if has_inputs(schema) else list(DEFAULT_FIELDS)
    choice = _decision(comps)
    result = []
    for comp in comps:
        kind = str(comp.get("type", ""))
        if kind == "text":
            result.append(Field(kind="text", key="", label="", text=str(comp.get("text", ""))))
        elif kind in INPUT_TYPES and comp.get("key"):
            show_for = _shown_for(comp, choice, data or {})
            if show_for == ():
                continue  # hidden whatever is decided
            result.append(_field(comp, kind, show_for))
    return result


def _field(comp: Mapping[str, Any], kind: str, show_for: tuple[str, ...] | None) -> Field:
    options = tuple((str(v.get("value")), str(v.get("label", v.get("value"))))
                    for v in comp.get("values", []) or [] if isinstance(v, Mapping))
    return Field(kind=kind, key=str(comp["key"]), label=str(comp.get("label") or comp["key"]),
                 required=bool((comp.get("validate") or {}).get("required")), options=options,
                 description=str(comp.get("description") or ""), default=comp.get("defaultValue"),
                 readonly=bool(comp.get("readonly") is True or comp.get("disabled")), show_for=show_for)


def _decision(comps: Sequence[Mapping[str, Any]]) -> tuple[str, tuple[str, ...]] | None:
    for comp in comps:
        values = tuple(str(v.get("value")) for v in comp.get("values", []) or [] if isinstance(v, Mapping))
        if comp.get("type") in ("radio", "select") and comp.get("key") and {"approve", "disapprove"} <= set(values):
            return str(comp["key"]), values
    return None


def _shown_for(comp: Mapping[str, Any], choice: tuple[str, tuple[str, ...]] | None,
               data: Mapping[str, Any]) -> tuple[str, ...] | None:
    if not (comp.get("conditional") or {}).get("hide"):
        return None
    if choice is None or comp.get("key") == choice[0]:
        return () if is_hidden(comp, data) else None
    key, values = choice
    shown = tuple(v for v in values if not is_hidden(comp, {**data, key: v}))
    return None if shown == values else shown


_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_STRONG = re.compile(r"\*\*(.+?)\*\*")


def text_html(text: str) -> Markup:
    """A form's text component (markdown: headings, paragraphs, bullet lists, bold) as safe HTML."""
    blocks = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        heading = _HEADING.match(lines[0]) if lines else None
        if heading:
            blocks.append(f"<h3 class=\"form-heading\">{_inline(heading.group(2))}</h3>")
            lines = lines[1:]
        if lines and all(line.startswith(("- ", "* ")) for line in lines):
            blocks.append("<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>")
        elif lines:
            blocks.append(f"<p>{'<br>'.join(_inline(line) for line in lines)}</p>")
    return Markup("".join(blocks))


def _inline(text: str) -> str:
    return _STRONG.sub(r"<strong>\1</strong>", str(escape(text)))


def shown_value(value: Any) -> str:
    """A process-data value as a form field shows it (lists one per line)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n".join(shown_value(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {shown_value(v)}" for k, v in value.items())
    return str(value)


def values_from(fields: list[Field], form: Mapping[str, Any], lists: Mapping[str, list[str]]) -> dict[str, Any]:
    """Typed values from a posted form: numbers as Decimal, checkboxes as booleans, checklists as lists."""
    data: dict[str, Any] = {}
    for field in fields:
        if field.kind == "text" or field.readonly:
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


def missing_required(fields: list[Field], data: Mapping[str, Any], choice: str | None) -> list[str]:
    """Labels of required fields left empty that show for the choice made (the service repeats this)."""
    return [f.label for f in fields if f.required and data.get(f.key) in (None, "", [], False)
            and f.kind != "checkbox" and not f.readonly and (f.show_for is None or choice in f.show_for)]


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
