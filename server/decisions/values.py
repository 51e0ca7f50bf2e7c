"""FEEL values in Python: Decimal numbers, str, bool, date, list, dict, Range, None; equality and order."""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from typing import Any

# FEEL numbers are IEEE 754-2008 Decimal128: 34 significant digits, half-even rounding.
DECIMAL = Context(prec=34)
_DATE_RE = re.compile(r"(-?\d{4,9})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Range:
    """A FEEL range such as [1..10] or (1..10); a missing endpoint (None) is unbounded."""

    low: Any
    high: Any
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, value: Any) -> bool | None:
        """True/False when comparable, None when the value cannot be compared with the endpoints."""
        low = compare(value, self.low) if self.low is not None else 1
        high = compare(value, self.high) if self.high is not None else -1
        if low is None or high is None:
            return None
        return (low > 0 or (low == 0 and self.low_closed)) and (high < 0 or (high == 0 and self.high_closed))


def parse_date(text: str) -> dt.date | None:
    """An ISO calendar date 'YYYY-MM-DD' as a date, or None when it is not one."""
    match = _DATE_RE.fullmatch(text.strip())
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def coerce_in(value: Any) -> Any:
    """Plain JSON-ish data as FEEL values: ints and floats become Decimal, lists are converted."""
    kind = type(value)
    if kind is Decimal or kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return Decimal(value)
    if kind is float:
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        return [coerce_in(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() and value.tzinfo is None else value
    return value  # dicts stay as they are; their fields are coerced when read


def coerce_type(value: Any, type_ref: str | None) -> Any:
    """Apply a declared typeRef where it matters: date strings become dates, wrong basic types null."""
    if value is None or not type_ref:
        return value
    kind = type_ref.rsplit(":", 1)[-1].lower()
    if kind == "date":
        if isinstance(value, str):
            return parse_date(value)
        return value if type(value) is dt.date else None
    if kind in ("number", "integer", "long", "double", "decimal"):
        return value if type(value) is Decimal else None
    if kind == "string":
        return value if type(value) is str else None
    if kind == "boolean":
        return value if type(value) is bool else None
    return value


def get_field(value: Any, name: str) -> Any:
    """`value.name`: a context's entry, a date's year/month/day/weekday, mapped over lists."""
    if isinstance(value, dict):
        return coerce_in(value.get(name))
    if type(value) is dt.date:
        if name in ("year", "month", "day"):
            return Decimal(getattr(value, name))
        if name == "weekday":
            return Decimal(value.isoweekday())
        return None
    if isinstance(value, Range):
        fields = {"start": value.low, "end": value.high, "start included": value.low_closed,
                  "end included": value.high_closed}
        return fields.get(name)
    if isinstance(value, list):
        return [get_field(item, name) for item in value]
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
    return a == b


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
    """-1, 0 or 1 for comparable numbers, strings and dates; None otherwise."""
    kind = type(a)
    if kind is not type(b) or kind not in (Decimal, str, dt.date):
        return None
    return -1 if a < b else (1 if a > b else 0)


def is_integral(value: Decimal) -> bool:
    """Whether a finite Decimal has no fractional part."""
    try:
        return value == value.to_integral_value()
    except InvalidOperation:
        return False


def to_json(value: Any) -> Any:
    """A JSON-safe copy: integral Decimals as int, others as float, dates as ISO strings."""
    if type(value) is Decimal:
        if not value.is_finite():
            return None
        if is_integral(value):
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(coerce_in(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, Range):
        low, high = to_json(value.low), to_json(value.high)
        return f"{'[' if value.low_closed else '('}{low}..{high}{']' if value.high_closed else ')'}"
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)
