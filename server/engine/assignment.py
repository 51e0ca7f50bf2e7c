"""Who may act on a user task: camunda attributes, spiff properties and lanes, evaluated over data.

Values may be fixed (`creditors`, `alice, bob`) or FEEL expressions (`=route_to`; JUEL `${route_to}` was
translated at deploy), evaluated over the task's data; a list result gives several names.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.engine import expressions
from server.engine.types import Assignment

_KEYS = {
    "assignee": "assignee", "candidateUsers": "candidate_users", "candidateGroups": "candidate_groups",
    "candidateRoles": "candidate_roles", "dueDate": "due_date", "fourEyes": "four_eyes",
    "formKey": "formKey", "formRef": "formRef",
}


def task_properties(spec: Any) -> dict[str, str]:
    """Flatten camunda attributes/properties, zeebe definitions and spiff properties into one dict."""
    ext = getattr(spec, "extensions", None) or {}
    props: dict[str, str] = {}
    props.update(ext.get("properties", {}) or {})
    camunda = ext.get("camunda", {})
    props.update(camunda.get("properties", {}))
    zeebe = camunda.get("zeebe_assignmentDefinition", {})
    for key in ("assignee", "candidateGroups", "candidateUsers"):
        if key in zeebe:
            props[key] = zeebe[key]
    if "formKey" in camunda.get("zeebe_formDefinition", {}):
        props["formKey"] = camunda["zeebe_formDefinition"]["formKey"]
    for key in _KEYS:
        if key in camunda:
            props[key] = camunda[key]
    if ext.get("formJsonSchemaFilename") and "formKey" not in props:
        props["formKey"] = ext["formJsonSchemaFilename"]
    return props


def _evaluate(text: str, data: Mapping[str, Any]) -> Any:
    """A canonical FEEL text (`=...`) evaluated over the data; any other text is a fixed value.

    A FEEL error gives no one (the task then waits for an administrator), never a crash of the list."""
    if not expressions.is_feel(text.strip()):
        return text
    try:
        return expressions.evaluate(text.strip(), data)
    except Exception:  # noqa: BLE001 - the docstring's promise: no one, never a crash
        return None


def _names(raw: str | None, data: Mapping[str, Any]) -> tuple[str, ...]:
    if not raw:
        return ()
    value = _evaluate(raw, data)
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple, set)) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


def resolve_assignment(props: Mapping[str, str], data: Mapping[str, Any], *, lane: str | None) -> Assignment:
    """Evaluate the assignment properties of a task over its data; a lane is the fallback group."""
    assignee = _names(props.get("assignee"), data)
    groups = _names(props.get("candidateGroups"), data)
    users = _names(props.get("candidateUsers"), data)
    roles = _names(props.get("candidateRoles"), data)
    if not (assignee or groups or users or roles) and lane:
        groups = (lane,)
    due = _evaluate(props["dueDate"], data) if props.get("dueDate") else None
    return Assignment(assignee=assignee[0] if assignee else None, candidate_users=users,
                      candidate_groups=groups, candidate_roles=roles,
                      due_date=str(due) if due else None, four_eyes=_names(props.get("fourEyes"), data))
