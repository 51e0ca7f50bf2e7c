"""FEEL built-ins on booleans, contexts and ranges (DMN 1.5 §10.3.4.2, .8, .9, .10) and `is`."""
from __future__ import annotations

import datetime as dt
from typing import Any

from server.decisions.parser import parse_expression
from server.decisions.values import UNBOUNDED, Range, coerce_in, compare, equal, kind_of


def _not(value: Any) -> bool | None:
    if type(value) is not bool:
        raise TypeError("not() needs a boolean")
    return not value


def _is(a: Any, b: Any) -> bool:
    if kind_of(a) != kind_of(b):
        return False
    if isinstance(a, (dt.datetime, dt.time)):
        return a == b and str(a.tzinfo) == str(b.tzinfo) and a.utcoffset() == b.utcoffset()
    return equal(a, b) is True


def _ctx(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("expects a context")
    return value


def _get_value(context: Any, key: Any) -> Any:
    if type(key) is str:
        return coerce_in(_ctx(context).get(key))
    if isinstance(key, list) and all(type(k) is str for k in key):
        value: Any = context
        for part in key:
            value = coerce_in(_ctx(value).get(part))
        return value
    raise TypeError("key must be a string")


def _get_entries(context: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": coerce_in(v)} for k, v in _ctx(context).items()]


def _context_put(context: Any, key: Any, value: Any) -> dict[str, Any]:
    base = dict(_ctx(context))
    if type(key) is str:
        base[key] = value
        return base
    if isinstance(key, list) and key and all(type(k) is str for k in key):
        if len(key) == 1:
            return _context_put(context, key[0], value)
        base[key[0]] = _context_put(base.get(key[0]), key[1:], value)
        return base
    raise TypeError("key must be a string or a non-empty list of strings")


def _context_merge(contexts: Any) -> dict[str, Any]:
    if isinstance(contexts, dict):
        contexts = [contexts]
    if not isinstance(contexts, list):
        raise TypeError("expects a list of contexts")
    merged: dict[str, Any] = {}
    for context in contexts:
        merged.update(_ctx(context))
    return merged


def _context(entries: Any) -> dict[str, Any]:
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        raise TypeError("expects a list of entries")
    result: dict[str, Any] = {}
    for entry in entries:
        entry = _ctx(entry)
        if not {"key", "value"} <= set(entry) or type(entry["key"]) is not str or entry["key"] in result:
            raise ValueError("an entry needs a unique string key and a value")
        result[entry["key"]] = entry["value"]
    return result


def _range(text: Any) -> Range:
    """range("[1..10)"): a range from its FEEL text; the endpoints must be literals of one kind."""
    if type(text) is not str:
        raise TypeError("range(from) needs a string")
    # range() reads FEEL text, and the compiler's builtins include range(): a real recursion, resolved at call time.
    from server.decisions.compiler import BUILTIN_NAMES

    node = parse_expression(text, BUILTIN_NAMES)
    if node[0] != "range":
        raise ValueError("not a range")
    low, high = _literal(node[1]), _literal(node[2])
    if low is None and high is None:
        raise ValueError("a range needs an endpoint")
    order = compare(low, high) if low is not None and high is not None else 0
    if order is None or order > 0:
        raise ValueError("the endpoints are of different kinds or in the wrong order")
    return Range(UNBOUNDED if low is None else low, UNBOUNDED if high is None else high, node[3], node[4])


def _literal(node: Any) -> Any:
    from server.decisions.compiler import EMPTY_SCOPE, CompileEnv, compile_node  # see _range

    kind = node[0]
    if kind == "const" or kind == "at" or (kind == "neg" and node[1][0] == "const"):
        return compile_node(node, CompileEnv())(EMPTY_SCOPE)
    if kind == "call" and node[1][0] == "name" and node[1][1] in ("date", "time", "date and time", "duration") \
            and all(a[0] == "const" for a in node[2]):
        return compile_node(node, CompileEnv())(EMPTY_SCOPE)
    raise ValueError("range endpoints must be literals")


FUNCTIONS: dict[str, tuple[Any, tuple[tuple[str, ...], ...], int]] = {
    "not": (_not, (("negand",),), 0),
    "is": (_is, (("value1", "value2"),), 0),
    "get value": (_get_value, (("m", "key"),), 0),
    "get entries": (_get_entries, (("m",),), 0),
    "context put": (_context_put, (("context", "key", "value"), ("context", "keys", "value")), 0),
    "context merge": (_context_merge, (("contexts",),), 0),
    "context": (_context, (("entries",),), 0),
    "range": (_range, (("from",),), 0),
}
