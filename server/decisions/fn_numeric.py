"""FEEL number built-ins (DMN 1.5 §10.3.4.5) and conversions: decimal, rounding, sqrt, log, exp, modulo."""
from __future__ import annotations

import datetime as dt
import re
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Any

from server.decisions.temporal import YearsMonths, format_temporal
from server.decisions.values import DECIMAL, UNBOUNDED, Range, is_integral

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def num(value: Any) -> Decimal:
    if type(value) is not Decimal:
        raise TypeError("expects a number")
    return value


def integer(value: Any) -> int:
    if type(value) is not Decimal or not is_integral(value):
        raise TypeError("expects an integer")
    return int(value)


def to_string(value: Any) -> str | None:
    """FEEL string(from): numbers without exponent, temporal values as ISO text, lists and contexts as FEEL."""
    if value is None:
        return None
    if type(value) is bool:
        return "true" if value else "false"
    if type(value) is Decimal:
        text = format(value.normalize(DECIMAL), "f") if value.is_finite() else None
        return text
    if isinstance(value, str):
        return value
    if isinstance(value, (dt.date, dt.time, dt.timedelta, YearsMonths)):
        return format_temporal(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Range):
        low = "" if value.low is UNBOUNDED else _literal(value.low)
        high = "" if value.high is UNBOUNDED else _literal(value.high)
        return f"{'[' if value.low_closed else '('}{low}..{high}{']' if value.high_closed else ')'}"
    return str(value)


def _literal(value: Any) -> str:
    if type(value) is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "null"
    return to_string(value) or "null"


def number(text: Any, grouping: Any = None, decimal: Any = None) -> Decimal | None:
    if type(text) is not str or grouping not in (None, " ", ",", ".") or decimal not in (None, ",", "."):
        raise TypeError("number(from, grouping separator, decimal separator)")
    if grouping is not None and grouping == decimal:
        raise ValueError("the separators must differ")
    cleaned = text.replace(grouping, "") if grouping else text
    cleaned = cleaned.replace(decimal, ".") if decimal else cleaned
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"not a number: {text!r}")
    return Decimal(cleaned)


def _quantize(n: Any, scale: Any, mode: str) -> Decimal:
    places = int(num(scale))
    if not -6111 <= places <= 6176:
        raise ValueError("scale out of range")
    value = num(n)
    exponent = value.as_tuple().exponent  # an int exactly when the value is finite
    if isinstance(exponent, int) and exponent >= -places and places >= 0:
        return value  # already no more decimals than asked for
    result = value.quantize(Decimal(1).scaleb(-places), rounding=mode, context=DECIMAL)
    return result if places >= 0 else Decimal(int(result))


def _rounding(mode: str, default: bool) -> Any:
    def rounder(n: Any, scale: Any = Decimal(0) if default else None) -> Decimal:
        return _quantize(n, scale, mode)
    return rounder


def _sqrt(n: Any) -> Decimal:
    value = num(n)
    if value < 0:
        raise ValueError("sqrt of a negative number")
    return value.sqrt(DECIMAL)


def _log(n: Any) -> Decimal:
    value = num(n)
    if value <= 0:
        raise ValueError("log of a number <= 0")
    return value.ln(DECIMAL)


def _exp(n: Any) -> Decimal:
    return num(n).exp(DECIMAL)


def _modulo(dividend: Any, divisor: Any) -> Decimal:
    a, b = num(dividend), num(divisor)
    if b == 0:
        raise ArithmeticError("modulo by zero")
    return DECIMAL.subtract(a, DECIMAL.multiply(b, DECIMAL.divide(a, b).to_integral_value(ROUND_FLOOR)))


def _odd_even(remainder: int) -> Any:
    def test(n: Any) -> bool:
        value = num(n)
        if not is_integral(value):
            raise ValueError("expects an integer")
        return int(value) % 2 == remainder
    return test


FUNCTIONS: dict[str, tuple[Any, tuple[tuple[str, ...], ...], int]] = {
    "string": (to_string, (("from",),), 0),
    "number": (number, (("from", "grouping separator", "decimal separator"),), 2),
    "decimal": (lambda n, scale: _quantize(n, scale, ROUND_HALF_EVEN), (("n", "scale"),), 0),
    "floor": (_rounding(ROUND_FLOOR, True), (("n", "scale"),), 1),
    "ceiling": (_rounding(ROUND_CEILING, True), (("n", "scale"),), 1),
    "round up": (_rounding(ROUND_UP, True), (("n", "scale"),), 1),
    "round down": (_rounding(ROUND_DOWN, True), (("n", "scale"),), 1),
    "round half up": (_rounding(ROUND_HALF_UP, True), (("n", "scale"),), 1),
    "round half down": (_rounding(ROUND_HALF_DOWN, True), (("n", "scale"),), 1),
    "round half even": (_rounding(ROUND_HALF_EVEN, True), (("n", "scale"),), 1),
    "abs": (lambda n: abs(n) if type(n) in (Decimal, dt.timedelta) else
            YearsMonths(abs(n.months)) if type(n) is YearsMonths else num(n), (("n",),), 0),
    "modulo": (_modulo, (("dividend", "divisor"),), 0),
    "sqrt": (_sqrt, (("number",),), 0),
    "log": (_log, (("number",),), 0),
    "exp": (_exp, (("number",),), 0),
    "odd": (_odd_even(1), (("number",),), 0),
    "even": (_odd_even(0), (("number",),), 0),
}
