"""Server-side validation of a task submission against the task's form-js schema.

The browser renders the same schema with form-js, but nothing it checks is trusted: types, required
fields, options, min/max, lengths and patterns are enforced here. Only keys the form declares are
kept, so a submission cannot overwrite other process data (routing fields, `_actors`, ...).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from server.decisions.expressions import evaluate_feel
from server.errors import InvalidInput

TEXT_TYPES = ("textfield", "textarea")
CHOICE_TYPES = ("select", "radio")
MULTI_TYPES = ("checklist", "taglist")
VALUE_TYPES = TEXT_TYPES + CHOICE_TYPES + MULTI_TYPES + ("number", "checkbox", "datetime", "hidden")
CONTAINER_TYPES = ("group", "dynamiclist")
MAX_KEY = 100


# A field's problems by code (the `problem` of an error detail; pages say them in the reader's language),
# each with its English message; `{limit}` is the detail's `limit`.
PROBLEMS = {
    "required": "is required", "unchecked": "must be checked", "not_boolean": "must be true or false",
    "not_number": "must be a number", "not_finite": "must be a finite number", "too_small": "must be at least {limit}",
    "too_large": "must be at most {limit}", "too_many_decimals": "must have at most {limit} decimals",
    "not_text": "must be text", "too_short": "must be at least {limit} characters",
    "too_long": "must be at most {limit} characters", "pattern": "does not match the pattern {limit}",
    "not_email": "must be an e-mail address", "not_phone": "must be a phone number",
    "not_date": "must be an ISO {limit}", "not_allowed": "must be one of {limit}", "not_list": "must be a list",
    "not_object": "expected an object", "bad_name": "field names must be 1-100 characters, not starting with '_'",
}


class FieldError(Exception):
    """One field's problem: a code of PROBLEMS and its limit, if any (str() is the English message)."""

    def __init__(self, problem: str, limit: Any = None):
        self.problem, self.limit = problem, limit
        super().__init__(PROBLEMS[problem].format(limit=limit))


def problem(field: str, code: str, limit: Any = None) -> dict[str, Any]:
    """An error detail naming the field, its problem's code (and limit) and the English message."""
    detail: dict[str, Any] = {"field": field, "message": PROBLEMS[code].format(limit=limit), "problem": code}
    if limit is not None:
        detail["limit"] = limit
    return detail

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()\-]{6,20}$")


def validate_submission(schema: Mapping[str, Any] | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned submission; InvalidInput whose details name every bad field (`field`, `message`)."""
    if not isinstance(data, Mapping):
        raise InvalidInput("form data must be a JSON object", code="invalid_form_data",
                           details=[problem("", "not_object")])
    if not schema or not schema.get("components"):
        return _free_data(data)
    problems: list[dict[str, Any]] = []
    cleaned = _validate_components(schema.get("components") or [], data, prefix="", problems=problems)
    if problems:
        names = ", ".join(p["field"] for p in problems)
        raise InvalidInput(f"the form data is not valid: {names}", code="invalid_form_data", details=problems)
    return cleaned


def _free_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A task without a form takes plain fields, but never the engine's reserved names."""
    problems = [problem(str(k), "bad_name") for k in data if not isinstance(k, str) or not k or k.startswith("_") or len(k) > MAX_KEY]
    if problems:
        raise InvalidInput("the form data is not valid", code="invalid_form_data", details=problems)
    return dict(data)


def _validate_components(components: list[Any], data: Mapping[str, Any], *, prefix: str,
                         problems: list[dict[str, Any]]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for component in _value_components(components):
        ctype, key = component.get("type"), component.get("key")
        if ctype in CONTAINER_TYPES:
            _validate_container(component, data, prefix=prefix, cleaned=cleaned, problems=problems)
            continue
        if not key or component.get("disabled") or component.get("readonly") is True:
            continue
        if _hidden(component, data):
            continue  # as form-js does: a hidden field is neither required nor submitted
        field = f"{prefix}{key}"
        try:
            value = _check_value(component, data.get(key))
        except FieldError as exc:
            problems.append(problem(field, exc.problem, exc.limit))
            continue
        if value is not None:
            cleaned[key] = value
    return cleaned


def is_hidden(component: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """Whether form-js hides the component for this data (its `conditional.hide` FEEL expression is true)."""
    return _hidden(component, data)


def _hidden(component: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """Whether the component's `conditional.hide` FEEL expression is true for the submitted data."""
    hide = (component.get("conditional") or {}).get("hide")
    if not hide:
        return False
    if not isinstance(hide, str):
        return bool(hide)
    try:
        return evaluate_feel(hide, data) is True
    except Exception:  # noqa: BLE001 - a condition that cannot be evaluated hides nothing
        return False


def _value_components(components: list[Any]) -> Iterator[dict[str, Any]]:
    """Components that carry values; a group without a path contributes its children at this level."""
    for component in components:
        if not isinstance(component, dict):
            continue
        ctype = component.get("type")
        if ctype == "group" and not component.get("path"):
            yield from _value_components(component.get("components") or [])
        elif ctype in VALUE_TYPES or ctype in CONTAINER_TYPES:
            yield component


def _validate_container(component: dict[str, Any], data: Mapping[str, Any], *, prefix: str,
                        cleaned: dict[str, Any], problems: list[dict[str, Any]]) -> None:
    path = str(component.get("path") or "")
    children = component.get("components") or []
    raw = data.get(path)
    if component.get("type") == "group":
        nested = raw if isinstance(raw, Mapping) else {}
        cleaned[path] = _validate_components(children, nested, prefix=f"{prefix}{path}.", problems=problems)
        return
    if raw is None:
        return
    if not isinstance(raw, list):
        problems.append(problem(f"{prefix}{path}", "not_list"))
        return
    items = []
    for index, item in enumerate(raw):
        item = item if isinstance(item, Mapping) else {}
        items.append(_validate_components(children, item, prefix=f"{prefix}{path}[{index}].", problems=problems))
    cleaned[path] = items


def _check_value(component: dict[str, Any], value: Any) -> Any:
    """The cleaned value of one field, or FieldError."""
    ctype = component["type"]
    rules = component.get("validate") or {}
    required = bool(rules.get("required"))
    if value is None or value == "" or value == []:
        if required:
            raise FieldError("required")
        return None
    if ctype == "checkbox":
        if not isinstance(value, bool):
            raise FieldError("not_boolean")
        if required and value is False:
            raise FieldError("unchecked")
        return value
    if ctype == "number":
        return _check_number(value, rules, component)
    if ctype in TEXT_TYPES or ctype == "hidden":
        return _check_text(value, rules)
    if ctype == "datetime":
        return _check_datetime(value, component.get("subtype") or "date")
    if ctype in CHOICE_TYPES:
        return _check_choice(value, component)
    if not isinstance(value, list):
        raise FieldError("not_list")
    for item in value:
        _check_choice(item, component)
    return value


def _check_number(value: Any, rules: Mapping[str, Any], component: Mapping[str, Any]) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FieldError("not_number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise FieldError("not_number") from None
    if not number.is_finite():
        raise FieldError("not_finite")
    if rules.get("min") is not None and number < Decimal(str(rules["min"])):
        raise FieldError("too_small", rules["min"])
    if rules.get("max") is not None and number > Decimal(str(rules["max"])):
        raise FieldError("too_large", rules["max"])
    digits = component.get("decimalDigits")
    if isinstance(digits, int) and -number.as_tuple().exponent > digits:  # type: ignore[operator]
        raise FieldError("too_many_decimals", digits)
    if isinstance(value, str):
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def _check_text(value: Any, rules: Mapping[str, Any]) -> str:
    if not isinstance(value, str):
        raise FieldError("not_text")
    if rules.get("minLength") is not None and len(value) < int(rules["minLength"]):
        raise FieldError("too_short", rules["minLength"])
    if rules.get("maxLength") is not None and len(value) > int(rules["maxLength"]):
        raise FieldError("too_long", rules["maxLength"])
    pattern = rules.get("pattern")
    if pattern:
        try:
            matched = re.search(str(pattern), value) is not None
        except re.error:
            matched = True  # a broken pattern in the model is the designer's bug, not the user's
        if not matched:
            raise FieldError("pattern", pattern)
    kind = rules.get("validationType")
    if kind == "email" and not EMAIL.match(value):
        raise FieldError("not_email")
    if kind == "phone" and not PHONE.match(value):
        raise FieldError("not_phone")
    return value


def _check_datetime(value: Any, subtype: str) -> str:
    if not isinstance(value, str):
        raise FieldError("not_date", "date/time text")
    try:
        if subtype == "date":
            return dt.date.fromisoformat(value).isoformat()
        if subtype == "time":
            return dt.time.fromisoformat(value).isoformat(timespec="minutes")
        return dt.datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise FieldError("not_date", subtype.replace("datetime", "date-time")) from None


def _check_choice(value: Any, component: Mapping[str, Any]) -> Any:
    options = component.get("values")
    if not isinstance(options, list):  # values from process data (valuesKey): the engine decides
        return value
    allowed = [o.get("value") for o in options if isinstance(o, dict)]
    if value not in allowed:
        raise FieldError("not_allowed", ", ".join(map(str, allowed)))
    return value
