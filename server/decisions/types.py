"""FEEL types: `instance of`, item definitions, and typeRef-driven conversion of inputs and results.

Inputs arrive as JSON (`"2026-01-31"`, `12.5`); a declared typeRef turns them into FEEL values, inside
structures and lists too. A result that does not conform to its declared type is null (with a warning),
after DMN's implicit conversions (a singleton list to its item, an item to a singleton list).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from server.decisions.temporal import YearsMonths, parse_date, parse_datetime, parse_duration, parse_time
from server.decisions.values import ATOMS, UNBOUNDED, Range, coerce_in, kind_of

_ALIASES = {"integer": "number", "long": "number", "double": "number", "decimal": "number", "int": "number",
            "dateTime": "date and time", "date and time": "date and time", "dayTimeDuration":
            "days and time duration", "yearMonthDuration": "years and months duration", "Any": "Any",
            "duration": "duration", "anyURI": "string"}
_PARSE: dict[str, Callable[[str], Any]] = {
    "date": parse_date, "date and time": parse_datetime, "time": parse_time,
    "days and time duration": parse_duration, "years and months duration": parse_duration,
    "duration": parse_duration,
}
BASIC = frozenset({"number", "string", "boolean", "date", "time", "date and time", "days and time duration",
                   "years and months duration", "duration", "list", "context", "range", "function", "Any", "Null"})


@dataclass
class ItemType:
    """An item definition: a basic or named base type, or components; maybe a collection; allowed values."""

    name: str
    base: str | None = None
    components: dict[str, ItemType] | None = None
    collection: bool = False
    allowed: Callable[[Any], bool] | None = None
    resolved: dict[str, ItemType] = field(default_factory=dict, repr=False)
    returns: str | None = None  # a function type's output typeRef (what a decision service gives)


def basic_name(type_ref: str | None) -> str | None:
    """`feel:number` -> `number`, `xsd:dateTime` -> `date and time`; other names unchanged."""
    if not type_ref:
        return None
    name = type_ref.split(":", 1)[1] if type_ref.split(":", 1)[0] in ("feel", "xsd", "FEEL") and ":" in type_ref \
        else type_ref
    return _ALIASES.get(name, name)


def _basic_conforms(value: Any, name: str) -> bool | None:
    """Whether a non-null value is of a basic type; None when `name` is not a basic type."""
    if name == "Any":
        return True
    if name == "Null":
        return value is None
    if name == "duration":
        return type(value) in (dt.timedelta, YearsMonths)
    if name not in BASIC:
        return None
    return kind_of(value) == name


def conforms(value: Any, spec: Any, defs: Mapping[str, ItemType] | None = None) -> bool:
    """`value instance of spec` for a parsed type (parser.parse_type) or an item type."""
    if isinstance(spec, ItemType):
        return conforms_item(value, spec, defs or {}, False)
    kind = spec[0]
    if kind == "type":
        name = basic_name(spec[1]) or "Any"
        if value is None:
            return name == "Null"
        basic = _basic_conforms(value, name)
        if basic is not None:
            return basic
        item = (defs or {}).get(spec[1])
        return conforms_item(value, item, defs or {}, False) if item is not None else False
    if value is None:
        return False
    if kind == "list":
        return isinstance(value, list) and all(v is None or conforms(v, spec[1], defs) for v in value)
    if kind == "range":
        return isinstance(value, Range) and all(
            e is None or e is UNBOUNDED or conforms(e, spec[1], defs) for e in (value.low, value.high))
    if kind == "context":
        return isinstance(value, dict) and all(
            k in value and (value[k] is None or conforms(coerce_in(value[k]), t, defs)) for k, t in spec[1])
    if kind == "function":
        return callable(getattr(value, "invoke", None))
    return False


def conforms_item(value: Any, item: ItemType, defs: Mapping[str, ItemType], allowed: bool = True) -> bool:
    """Whether a value is of an item definition's type (structure, collection and, if asked, allowed values)."""
    if value is None:
        return True
    if item.collection:
        return isinstance(value, list) and all(conforms_item(v, _element(item), defs, allowed) for v in value)
    if item.components is not None:
        return isinstance(value, dict) and all(
            k in value and conforms_item(coerce_in(value[k]), t, defs, allowed) for k, t in item.components.items())
    if item.base is not None:
        base = basic_name(item.base) or "Any"
        basic = _basic_conforms(value, base)
        ok = basic if basic is not None else (base in defs and conforms_item(value, defs[base], defs, allowed))
        if not ok:
            return False
    return not allowed or item.allowed is None or item.allowed(value) is True


def _element(item: ItemType) -> ItemType:
    return ItemType(item.name, item.base, item.components, False, item.allowed)


def convert_input(value: Any, item: ItemType | str | None, defs: Mapping[str, ItemType]) -> Any:
    """A JSON input as the FEEL value its typeRef declares (dates from strings, inside structures and lists)."""
    value = coerce_in(value)
    if value is None or item is None:
        return value
    if isinstance(item, str):
        name = basic_name(item) or "Any"
        if name in _PARSE and type(value) is str:
            return _CACHED_PARSE[name](value)
        if name in defs:
            return convert_input(value, defs[name], defs)
        return value
    if item.collection:
        if not isinstance(value, list):
            return value
        element = _element(item)
        return [convert_input(v, element, defs) for v in value]
    if item.components is not None and isinstance(value, dict):
        return {k: convert_input(v, item.components[k], defs) if k in item.components else coerce_in(v)
                for k, v in value.items()}
    if item.base is not None:
        return convert_input(value, item.base, defs)
    return value


def converter(item: ItemType | str | None, defs: Mapping[str, ItemType]) -> Callable[[Any], Any]:
    """convert_input(value, item, defs) as a function of the value, specialised once for a basic typeRef."""
    name = basic_name(item) if isinstance(item, str) else None
    parse = _CACHED_PARSE.get(name or "")
    if parse is None or name in defs:
        return lambda value: convert_input(value, item, defs)

    def convert(value: Any) -> Any:
        # convert_input for a basic temporal typeRef: a string parsed, anything else only coerced
        return parse(value) if type(value) is str else value if type(value) in ATOMS else coerce_in(value)
    return convert


def _cached(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A parser that remembers its answers: the same dates and durations arrive on every evaluation."""
    cache: dict[str, Any] = {}

    def cached(text: str) -> Any:
        value = cache.get(text)
        if value is None:
            value = parse(text)
            # only values (immutable dates, times, durations); a string that does not parse is tried again
            if value is not None and len(cache) < _CACHE_SIZE and len(text) <= 64:
                cache[text] = value
        return value
    return cached


_CACHE_SIZE = 4096
_CACHED_PARSE = {name: _cached(parse) for name, parse in _PARSE.items()}


def needs_conversion(item: ItemType | str | None, defs: Mapping[str, ItemType], depth: int = 0) -> bool:
    """Whether convert_input can change a value of this type (temporal parts); False for number, string, ..."""
    if item is None or depth > 20:
        return False
    if isinstance(item, str):
        name = basic_name(item) or "Any"
        return name in _PARSE or (name in defs and needs_conversion(defs[name], defs, depth + 1))
    if item.components is not None:
        return any(needs_conversion(t, defs, depth + 1) for t in item.components.values())
    return needs_conversion(item.base, defs, depth + 1)


def parameter_check(types: tuple[str | None, ...], defs: Mapping[str, ItemType]
                    ) -> Callable[[list[Any]], list[Any] | None]:
    """Arguments checked (and singleton lists unwrapped) against declared typeRefs; None if one does not fit."""
    def check(args: list[Any]) -> list[Any] | None:
        checked = []
        for value, type_ref in zip(args, types):
            if type_ref:
                value, ok = conform_result(value, defs.get(type_ref, type_ref), defs)
                if not ok:
                    return None
            checked.append(value)
        return checked
    return check


def conform_result(value: Any, item: ItemType | str | None, defs: Mapping[str, ItemType]) -> tuple[Any, bool]:
    """A result checked against its declared type: (value, True) or (None, False) when it does not conform."""
    if value is None or item is None:
        return value, True
    if isinstance(item, str):
        name = basic_name(item) or "Any"
        if name in defs:
            return conform_result(value, defs[name], defs)
        basic = _basic_conforms(value, name)
        if basic is None or basic:
            return value, True
        if isinstance(value, list) and len(value) == 1 and _basic_conforms(value[0], name):
            return value[0], True
        return None, False
    if item.collection and not isinstance(value, list):
        value = [value]
    elif not item.collection and isinstance(value, list) and len(value) == 1:
        value = value[0]
    return (value, True) if conforms_item(value, item, defs) else (None, False)


__all__ = ["ItemType", "basic_name", "conform_result", "conforms", "convert_input", "converter"]
