"""Arithmetic on FEEL's temporal values (DMN 1.5 §10.3.2.3): + - * / between dates, times and durations."""
from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_DOWN, Decimal
from typing import Any

from server.decisions.temporal import UTC, YearsMonths, delta_of, seconds_of

_DAY = dt.datetime(2000, 1, 1)


def add_months(value: Any, months: int) -> Any:
    """A date or date and time moved by whole months, the day clamped to the month's end."""
    year, month = divmod(value.month - 1 + months, 12)
    year += value.year
    if not 1 <= year <= 9999:
        return None
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _shift(value: Any, delta: Any) -> Any:
    kind = type(value)
    try:
        if type(delta) is YearsMonths:
            return add_months(value, delta.months) if kind is not dt.time else None
        if type(delta) is not dt.timedelta:
            return None
        if kind is dt.datetime:
            return value + delta
        if kind is dt.date:
            return (dt.datetime(value.year, value.month, value.day) + delta).date()
        if kind is dt.time:
            moved = dt.datetime.combine(_DAY, value.replace(tzinfo=None)) + delta
            return moved.time().replace(tzinfo=value.tzinfo)
    except OverflowError:
        return None
    return None


def add(a: Any, b: Any) -> Any:
    """`a + b` when either side is temporal; None when the kinds do not combine."""
    ka, kb = type(a), type(b)
    if ka is kb and ka in (dt.timedelta, YearsMonths):
        try:
            return a + b if ka is dt.timedelta else YearsMonths(a.months + b.months)
        except OverflowError:
            return None
    if kb in (dt.timedelta, YearsMonths) and ka in (dt.date, dt.datetime, dt.time):
        return _shift(a, b)
    if ka in (dt.timedelta, YearsMonths) and kb in (dt.date, dt.datetime, dt.time):
        return _shift(b, a)
    return None


def _as_datetime(value: Any, other: Any) -> Any:
    if type(value) is dt.date:
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)  # a date is midnight UTC
    return value


def subtract(a: Any, b: Any) -> Any:
    """`a - b` when either side is temporal; None when the kinds do not combine."""
    ka, kb = type(a), type(b)
    try:
        if ka is kb and ka is dt.timedelta:
            return a - b
        if ka is kb and ka is YearsMonths:
            return YearsMonths(a.months - b.months)
        if ka in (dt.date, dt.datetime) and kb in (dt.date, dt.datetime):
            if ka is dt.date and kb is dt.date:
                return dt.timedelta(days=(a - b).days)
            return _as_datetime(a, b) - _as_datetime(b, a)
        if ka is dt.time and kb is dt.time:
            if (a.tzinfo is None) != (b.tzinfo is None):
                return None
            left = dt.datetime.combine(_DAY, a) - (a.utcoffset() or dt.timedelta(0))
            right = dt.datetime.combine(_DAY, b) - (b.utcoffset() or dt.timedelta(0))
            return left.replace(tzinfo=None) - right.replace(tzinfo=None)
        if ka in (dt.date, dt.datetime, dt.time) and kb in (dt.timedelta, YearsMonths):
            return _shift(a, negate(b))
    except (OverflowError, TypeError):
        return None
    return None


def negate(value: Any) -> Any:
    """`-duration`."""
    if type(value) is dt.timedelta:
        return -value
    if type(value) is YearsMonths:
        return YearsMonths(-value.months)
    return None


def _months(value: Decimal) -> int:
    return int(value.to_integral_value(ROUND_DOWN))


def multiply(a: Any, b: Any) -> Any:
    """duration * number and number * duration."""
    if type(a) is Decimal:
        a, b = b, a
    if type(b) is not Decimal or not b.is_finite():
        return None
    if type(a) is dt.timedelta:
        return delta_of(seconds_of(a) * b)
    if type(a) is YearsMonths:
        return YearsMonths(_months(Decimal(a.months) * b))
    return None


def divide(a: Any, b: Any) -> Any:
    """duration / number (a duration) and duration / duration (a number)."""
    ka, kb = type(a), type(b)
    try:
        if ka is dt.timedelta and kb is Decimal:
            return delta_of(seconds_of(a) / b) if b else None
        if ka is YearsMonths and kb is Decimal:
            return YearsMonths(_months(Decimal(a.months) / b)) if b else None
        if ka is dt.timedelta and kb is dt.timedelta:
            return seconds_of(a) / seconds_of(b) if b else None
        if ka is YearsMonths and kb is YearsMonths:
            return Decimal(a.months) / Decimal(b.months) if b.months else None
    except ArithmeticError:
        return None
    return None
