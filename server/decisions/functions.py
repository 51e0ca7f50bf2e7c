"""FEEL built-in functions a designer uses in a cell; each returns null (None) on arguments it cannot use."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

from server.decisions.values import DECIMAL, compare, equal, is_integral, parse_date

_REGEX_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}


@dataclass(frozen=True)
class Builtin:
    """A built-in: the callable and its overloads' parameter names (for named arguments and arity)."""

    fn: Callable[..., Any]
    overloads: tuple[tuple[str, ...], ...]
    variadic: bool = False
    optional: int = 0  # how many trailing parameters may be left out


def _text(value: Any) -> str | None:
    return value if type(value) is str else None


def _num(value: Any) -> Decimal | None:
    return value if type(value) is Decimal else None


def _strs(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        return fn(*args) if all(type(a) is str for a in args) else None
    return wrapped


def _substring(string: Any, start: Any, length: Any = None) -> str | None:
    if _text(string) is None or _num(start) is None or not is_integral(start) or start == 0:
        return None
    begin = int(start) - 1 if start > 0 else len(string) + int(start)
    if begin < 0:
        return None
    if length is None:
        return string[begin:]
    if _num(length) is None or length < 0:
        return None
    return string[begin:begin + int(length)]


def _regex(pattern: Any, flags: Any) -> re.Pattern[str] | None:
    if _text(pattern) is None or (flags is not None and _text(flags) is None):
        return None
    bits = 0
    for flag in flags or "":
        if flag not in _REGEX_FLAGS:
            return None
        bits |= _REGEX_FLAGS[flag]
    try:
        return re.compile(pattern, bits)
    except re.error:
        return None


def _matches(string: Any, pattern: Any, flags: Any = None) -> bool | None:
    regex = _regex(pattern, flags)
    return None if regex is None or _text(string) is None else regex.search(string) is not None


def _replace(string: Any, pattern: Any, replacement: Any, flags: Any = None) -> str | None:
    regex = _regex(pattern, flags)
    if regex is None or _text(string) is None or _text(replacement) is None:
        return None
    # XPath writes group references as $1; Python's re wants \g<1>.
    template = re.sub(r"\$(\d+)", r"\\g<\1>", replacement.replace("\\", "\\\\"))
    return regex.sub(template, string)


def _split(string: Any, delimiter: Any) -> list[str] | None:
    """DMN 1.3 split(string, delimiter): the delimiter is a regular expression."""
    regex = _regex(delimiter, None)
    return None if regex is None or _text(string) is None else regex.split(string)


def to_string(value: Any) -> str | None:
    """FEEL string(from): numbers without exponent, dates as ISO, booleans as true/false."""
    if value is None:
        return None
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is Decimal:
        return format(value.normalize(), "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return str(value)


def _number(text: Any, grouping: Any = None, decimal: Any = None) -> Decimal | None:
    if _text(text) is None or grouping not in (None, " ", ",", ".") or decimal not in (None, ",", "."):
        return None
    if grouping is not None and grouping == decimal:
        return None
    cleaned = text.replace(grouping, "") if grouping else text
    cleaned = cleaned.replace(decimal, ".") if decimal else cleaned
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", cleaned):
        return None
    return Decimal(cleaned)


def _decimal(n: Any, scale: Any) -> Decimal | None:
    if _num(n) is None or _num(scale) is None or not is_integral(scale):
        return None
    return n.quantize(Decimal(1).scaleb(-int(scale)), rounding=ROUND_HALF_EVEN, context=DECIMAL)


def _rounding(mode: str) -> Callable[..., Any]:
    def rounder(n: Any, scale: Any = Decimal(0)) -> Decimal | None:
        if _num(n) is None or _num(scale) is None:
            return None
        return n.quantize(Decimal(1).scaleb(-int(scale)), rounding=mode, context=DECIMAL)
    return rounder


def _date(*args: Any) -> dt.date | None:
    if len(args) == 1:
        value = args[0]
        if isinstance(value, dt.datetime):
            return value.date()
        if type(value) is dt.date:
            return value
        return parse_date(value) if type(value) is str else None
    if len(args) == 3 and all(_num(a) is not None and is_integral(a) for a in args):
        try:
            return dt.date(int(args[0]), int(args[1]), int(args[2]))
        except ValueError:
            return None
    return None


def _items(args: tuple[Any, ...]) -> list[Any] | None:
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    return list(args) if args else None


def _extreme(pick: int) -> Callable[..., Any]:
    def extreme(*args: Any) -> Any:
        items = _items(args)
        if not items:
            return None
        best = items[0]
        for item in items[1:]:
            order = compare(item, best)
            if order is None:
                return None
            if order == pick:
                best = item
        return best if compare(best, best) == 0 else None
    return extreme


def _sum(*args: Any) -> Decimal | None:
    items = _items(args)
    if items is None or any(type(i) is not Decimal for i in items):
        return None
    total = Decimal(0)
    for item in items:
        total = DECIMAL.add(total, item)
    return total if items else None


def _mean(*args: Any) -> Decimal | None:
    items = _items(args)
    total = _sum(*args)
    return None if total is None or not items else DECIMAL.divide(total, Decimal(len(items)))


def _count(items: Any) -> Decimal | None:
    return Decimal(len(items)) if isinstance(items, list) else None


def _flatten(items: Any) -> list[Any] | None:
    if not isinstance(items, list):
        return None
    flat: list[Any] = []
    for item in items:
        flat.extend(_flatten(item) if isinstance(item, list) else [item])  # type: ignore[arg-type]
    return flat


def _list_contains(items: Any, element: Any) -> bool | None:
    return any(equal(i, element) is True for i in items) if isinstance(items, list) else None


def _not(value: Any) -> bool | None:
    return (not value) if type(value) is bool else None


def _concatenate(*lists: Any) -> list[Any] | None:
    return [i for lst in lists for i in lst] if all(isinstance(x, list) for x in lists) else None


def _append(items: Any, *extra: Any) -> list[Any] | None:
    return [*items, *extra] if isinstance(items, list) else None


def _string_join(items: Any, delimiter: Any = "") -> str | None:
    if not isinstance(items, list) or _text(delimiter) is None:
        return None
    parts = [i for i in items if i is not None]
    return delimiter.join(parts) if all(type(p) is str for p in parts) else None


def _abs(n: Any) -> Decimal | None:
    return abs(n) if _num(n) is not None else None


def _modulo(dividend: Any, divisor: Any) -> Decimal | None:
    if _num(dividend) is None or _num(divisor) is None or divisor == 0:
        return None
    return DECIMAL.subtract(dividend, DECIMAL.multiply(divisor, (dividend / divisor).to_integral_value(ROUND_FLOOR)))


def _s(*names: str) -> tuple[tuple[str, ...], ...]:
    return (names,)


BUILTINS: dict[str, Builtin] = {
    "not": Builtin(_not, _s("negand")),
    "string length": Builtin(lambda s: Decimal(len(s)) if _text(s) is not None else None, _s("string")),
    "upper case": Builtin(_strs(str.upper), _s("string")),
    "lower case": Builtin(_strs(str.lower), _s("string")),
    "substring": Builtin(_substring, _s("string", "start position", "length"), optional=1),
    "substring before": Builtin(_strs(lambda s, m: s.partition(m)[0] if m in s else ""), _s("string", "match")),
    "substring after": Builtin(_strs(lambda s, m: s.partition(m)[2] if m in s else ""), _s("string", "match")),
    "starts with": Builtin(_strs(str.startswith), _s("string", "match")),
    "ends with": Builtin(_strs(str.endswith), _s("string", "match")),
    "contains": Builtin(_strs(lambda s, m: m in s), _s("string", "match")),
    "matches": Builtin(_matches, _s("input", "pattern", "flags"), optional=1),
    "replace": Builtin(_replace, _s("input", "pattern", "replacement", "flags"), optional=1),
    "string": Builtin(to_string, _s("from")),
    "split": Builtin(_split, _s("string", "delimiter")),
    "string join": Builtin(_string_join, _s("list", "delimiter"), optional=1),
    "number": Builtin(_number, _s("from", "grouping separator", "decimal separator"), optional=2),
    "decimal": Builtin(_decimal, _s("n", "scale")),
    "floor": Builtin(_rounding(ROUND_FLOOR), _s("n", "scale"), optional=1),
    "ceiling": Builtin(_rounding(ROUND_CEILING), _s("n", "scale"), optional=1),
    "round half even": Builtin(_rounding(ROUND_HALF_EVEN), _s("n", "scale"), optional=1),
    "abs": Builtin(_abs, _s("n")),
    "modulo": Builtin(_modulo, _s("dividend", "divisor")),
    "date": Builtin(_date, (("from",), ("year", "month", "day"))),
    "@": Builtin(_date, _s("from")),
    "min": Builtin(_extreme(-1), _s("list"), variadic=True),
    "max": Builtin(_extreme(1), _s("list"), variadic=True),
    "sum": Builtin(_sum, _s("list"), variadic=True),
    "mean": Builtin(_mean, _s("list"), variadic=True),
    "count": Builtin(_count, _s("list")),
    "list contains": Builtin(_list_contains, _s("list", "element")),
    "flatten": Builtin(_flatten, _s("list")),
    "concatenate": Builtin(_concatenate, _s("list"), variadic=True),
    "append": Builtin(_append, _s("list", "item"), variadic=True),
}
