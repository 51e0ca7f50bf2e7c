"""FEEL values in Python: Decimal, str, bool, temporal values, list, dict, Range, functions, None."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Any

from server.decisions.temporal import (
    YearsMonths,
    format_temporal,
    parse_date,
    seconds_of,
    time_offset,
    timezone_name,
)

# FEEL numbers are IEEE 754-2008 Decimal128: 34 significant digits, half-even rounding.
DECIMAL = Context(prec=34)
TEMPORAL = (dt.date, dt.time, dt.timedelta, YearsMonths)
_ORDERED = frozenset({Decimal, str, dt.date, dt.datetime, dt.time, dt.timedelta, YearsMonths})
# The kinds coerce_in() gives back unchanged (tested with one set lookup on the hot paths)
ATOMS = frozenset({Decimal, str, bool, type(None), dt.date, dt.datetime, dt.time, dt.timedelta, YearsMonths})

__all__ = [
    "ATOMS",
    "DECIMAL",
    "UNBOUNDED",
    "Range",
    "coerce_in",
    "compare",
    "equal",
    "get_field",
    "is_integral",
    "kind_of",
    "parse_date",
    "to_json",
]


class _Unbounded:
    """The open end of `< 10` or `> 5`: no endpoint at all (unlike a null endpoint, which is unknown)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNBOUNDED"


UNBOUNDED: Any = _Unbounded()


@dataclass(frozen=True)
class Range:
    """A FEEL range such as [1..10], (1..10) or `< 10`; an UNBOUNDED endpoint is open-ended."""

    low: Any
    high: Any
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, value: Any) -> bool | None:
        """True/False when comparable, None when the value cannot be compared with the endpoints."""
        if value is None:
            return None
        if self.low is not UNBOUNDED:
            low = compare(value, self.low)
            if low is None:
                return None
            if low < 0 or (low == 0 and not self.low_closed):
                return False
        if self.high is not UNBOUNDED:
            high = compare(value, self.high)
            if high is None:
                return None
            if high > 0 or (high == 0 and not self.high_closed):
                return False
        return True


def kind_of(value: Any) -> str:
    """The FEEL type name of a value (`number`, `date and time`, `days and time duration`, ...)."""
    kind = type(value)
    if value is None:
        return "Null"
    if kind is Decimal:
        return "number"
    if kind is str:
        return "string"
    if kind is bool:
        return "boolean"
    if kind is dt.datetime:
        return "date and time"
    if kind is dt.date:
        return "date"
    if kind is dt.time:
        return "time"
    if kind is dt.timedelta:
        return "days and time duration"
    if kind is YearsMonths:
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, Range):
        return "range"
    if callable(getattr(value, "invoke", None)):
        return "function"
    return "Any"


def coerce_in(value: Any) -> Any:
    """Plain JSON-ish data as FEEL values: ints and floats become Decimal, lists and dicts are converted."""
    kind = type(value)
    if kind is Decimal or kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return Decimal(value)
    if kind is float:
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [coerce_in(item) for item in value]
    return value  # dicts stay as they are; their fields are coerced when read


def get_field(value: Any, name: str) -> Any:
    """`value.name`: a context's entry, a temporal value's property, a range's end, mapped over lists."""
    if isinstance(value, dict):
        return coerce_in(value.get(name))
    if isinstance(value, list):
        return [get_field(item, name) for item in value]
    if isinstance(value, TEMPORAL):
        return _temporal_field(value, name)
    if isinstance(value, Range):
        fields = {"start": value.low, "end": value.high, "start included": value.low_closed,
                  "end included": value.high_closed}
        found = fields.get(name)
        return None if found is UNBOUNDED else found
    return None


def _temporal_field(value: Any, name: str) -> Any:
    kind = type(value)
    if kind is dt.timedelta:
        micro = abs(value // dt.timedelta(microseconds=1))
        sign = -1 if value < dt.timedelta(0) else 1
        seconds = micro // 1_000_000
        parts = {"days": seconds // 86_400, "hours": seconds % 86_400 // 3600, "minutes": seconds % 3600 // 60,
                 "seconds": seconds % 60}
        return Decimal(sign * parts[name]) if name in parts else None
    if kind is YearsMonths:
        sign = -1 if value.months < 0 else 1
        parts = {"years": abs(value.months) // 12, "months": abs(value.months) % 12}
        return Decimal(sign * parts[name]) if name in parts else None
    if name in ("year", "month", "day") and kind is not dt.time:
        return Decimal(getattr(value, name))
    if name == "weekday" and kind is not dt.time:
        return Decimal(value.isoweekday())
    if kind is dt.date:
        return None
    if name in ("hour", "minute", "second"):
        return Decimal(getattr(value, name))
    if name == "time offset":
        return time_offset(value)
    if name == "timezone":
        return timezone_name(value)
    return None


def _same_kind(a: Any, b: Any) -> bool:
    ka, kb = type(a), type(b)
    if ka is kb:
        return True
    return isinstance(a, dict) and isinstance(b, dict) or isinstance(a, list) and isinstance(b, list)


def equal(a: Any, b: Any) -> bool | None:
    """FEEL `=`: null equals only null; values of different kinds are not comparable (None)."""
    if a is None or b is None:
        return a is None and b is None
    if not _same_kind(a, b):
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return False
        return _all_equal(zip(a, b))
    if isinstance(a, dict):
        if set(a) != set(b):
            return False
        return _all_equal((coerce_in(a[k]), coerce_in(b[k])) for k in a)
    if type(a) is dt.datetime or type(a) is dt.time:
        if (a.tzinfo is None) != (b.tzinfo is None):
            return None
        if type(a) is dt.time and a.tzinfo is not None:
            return _time_key(a) == _time_key(b)
    if type(a) is Range:
        return _range_equal(a, b)
    try:
        return a == b
    except TypeError:
        return None


def _range_equal(a: Range, b: Range) -> bool | None:
    if a.low_closed != b.low_closed or a.high_closed != b.high_closed:
        return False
    for x, y in ((a.low, b.low), (a.high, b.high)):
        if (x is UNBOUNDED) != (y is UNBOUNDED):
            return False
        if x is not UNBOUNDED and equal(x, y) is not True:
            return False
    return True


def _time_key(value: dt.time) -> Any:
    offset = time_offset(value) or dt.timedelta(0)
    seconds = value.hour * 3600 + value.minute * 60 + value.second - offset.total_seconds()
    return (seconds % 86_400, value.microsecond)


def _all_equal(pairs: Any) -> bool | None:
    result: bool | None = True
    for x, y in pairs:
        same = equal(x, y)
        if same is False:
            return False
        if same is None:
            result = None
    return result


def compare(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 for comparable numbers, strings, temporal values; None otherwise."""
    kind = type(a)
    if kind is not type(b) or kind not in _ORDERED:
        return None
    if kind is dt.time and (a.tzinfo is not None or b.tzinfo is not None):
        if (a.tzinfo is None) != (b.tzinfo is None):
            return None
        a, b = _time_key(a), _time_key(b)
    try:
        return -1 if a < b else (1 if a > b else 0)
    except TypeError:  # a date and time with a zone against one without
        return None


def is_integral(value: Decimal) -> bool:
    """Whether a finite Decimal has no fractional part."""
    try:
        return value == value.to_integral_value()
    except InvalidOperation:
        return False


_AS_IS = frozenset({str, bool, int, float, type(None)})  # what to_json() gives back unchanged
_FIELD_AS_IS = frozenset({str, bool, int, type(None)})  # a context's float field becomes a Decimal first
_JSON_INTS = {Decimal(i): i for i in range(-16, 1025)}  # status codes and counts, in every trace


def to_json(value: Any) -> Any:
    """A JSON-safe copy: integral Decimals as int, others as float, temporal values as ISO strings."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is Decimal:
        if not value.is_finite():
            return None
        small = _JSON_INTS.get(value)
        if small is not None:
            return small
        if is_integral(value):
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, TEMPORAL):
        return format_temporal(value)
    if isinstance(value, dict):
        # ints and strings come out of coerce_in and to_json as they went in
        return {str(k): v if type(v) in _FIELD_AS_IS else to_json(coerce_in(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, Range):
        low = "" if value.low is UNBOUNDED else to_json(value.low)
        high = "" if value.high is UNBOUNDED else to_json(value.high)
        return f"{'[' if value.low_closed else '('}{low}..{high}{']' if value.high_closed else ')'}"
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


def seconds(delta: dt.timedelta) -> Decimal:
    """A days and time duration in seconds (re-exported for the operators)."""
    return seconds_of(delta)
