"""FEEL temporal built-ins (DMN 1.5 §10.3.4.1, §10.3.4.11): constructors, now()/today() and calendar functions.

now() and today() read the injected clock (`set_clock`), so tests and replays see a fixed instant.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from server.decisions import runtime
from server.decisions.runtime import set_clock
from server.decisions.temporal import (
    UTC,
    YearsMonths,
    parse_date,
    parse_datetime,
    parse_duration,
    parse_time,
)
from server.decisions.values import is_integral

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _int(value: Any) -> int:
    if type(value) is not Decimal or not is_integral(value):
        raise TypeError("expects an integer")
    return int(value)


def _date(*args: Any) -> dt.date | None:
    if len(args) == 1:
        value = args[0]
        if type(value) is dt.datetime:
            return value.date()
        if type(value) is dt.date:
            return value
        if type(value) is str:
            return _must(parse_date(value), "date", value)
        raise TypeError("date(from) needs a string, date or date and time")
    if len(args) == 3:
        return dt.date(_int(args[0]), _int(args[1]), _int(args[2]))
    raise TypeError("date() takes 1 or 3 arguments")


def _must(value: Any, kind: str, text: str) -> Any:
    if value is None:
        raise ValueError(f"not a {kind}: {text!r}")
    return value


def _time(*args: Any) -> dt.time | None:
    if len(args) == 1:
        value = args[0]
        if type(value) is dt.datetime:
            return value.timetz()
        if type(value) is dt.time:
            return value
        if type(value) is dt.date:
            return dt.time(0, 0, 0, tzinfo=UTC)
        if type(value) is str:
            return _must(parse_time(value), "time", value)
        raise TypeError("time(from) needs a string, time or date and time")
    if len(args) in (3, 4):
        hour, minute = _int(args[0]), _int(args[1])
        second = args[2]
        if type(second) is not Decimal:
            raise TypeError("second must be a number")
        whole = int(second)
        micro = int((second - whole) * 1_000_000)
        tz = None
        if len(args) == 4 and args[3] is not None:
            if type(args[3]) is not dt.timedelta:
                raise TypeError("offset must be a days and time duration")
            tz = dt.timezone(args[3])
        return dt.time(hour, minute, whole, micro, tzinfo=tz)
    raise TypeError("time() takes 1, 3 or 4 arguments")


def _date_and_time(*args: Any) -> dt.datetime | None:
    if len(args) == 1:
        value = args[0]
        if type(value) is dt.datetime:
            return value
        if type(value) is dt.date:
            return dt.datetime(value.year, value.month, value.day)
        if type(value) is str:
            return _must(parse_datetime(value), "date and time", value)
        raise TypeError("date and time(from) needs a string")
    if len(args) == 2:
        day, time = args
        if type(day) not in (dt.date, dt.datetime) or type(time) is not dt.time:
            raise TypeError("date and time(date, time) needs a date and a time")
        return dt.datetime.combine(day if type(day) is dt.date else day.date(), time, tzinfo=time.tzinfo)
    raise TypeError("date and time() takes 1 or 2 arguments")


def _duration(text: Any) -> Any:
    if type(text) is not str:
        raise TypeError("duration(from) needs a string")
    return _must(parse_duration(text), "duration", text)


def _months_between(start: Any, end: Any) -> YearsMonths:
    if type(start) not in (dt.date, dt.datetime) or type(end) not in (dt.date, dt.datetime):
        raise TypeError("years and months duration(from, to) needs dates")
    a = start if type(start) is dt.datetime else dt.datetime(start.year, start.month, start.day)
    b = end if type(end) is dt.datetime else dt.datetime(end.year, end.month, end.day)
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    months = (b.year - a.year) * 12 + b.month - a.month
    if b.day < a.day:
        months -= 1
    return YearsMonths(sign * months)


def _day(value: Any) -> dt.date:
    if type(value) is dt.datetime:
        return value.date()
    if type(value) is dt.date:
        return value
    raise TypeError("expects a date")


def _now() -> dt.datetime:
    return runtime.now()


def _today() -> dt.date:
    return runtime.now().date()


FUNCTIONS: dict[str, tuple[Any, tuple[tuple[str, ...], ...], int]] = {
    "date": (_date, (("from",), ("year", "month", "day")), 0),
    "time": (_time, (("from",), ("hour", "minute", "second", "offset")), 1),
    "date and time": (_date_and_time, (("from",), ("date", "time")), 0),
    "duration": (_duration, (("from",),), 0),
    "years and months duration": (_months_between, (("from", "to"),), 0),
    "now": (_now, ((),), 0),
    "today": (_today, ((),), 0),
    "day of year": (lambda d: Decimal(_day(d).timetuple().tm_yday), (("date",),), 0),
    "day of week": (lambda d: _DAYS[_day(d).weekday()], (("date",),), 0),
    "month of year": (lambda d: _MONTHS[_day(d).month - 1], (("date",),), 0),
    "week of year": (lambda d: Decimal(_day(d).isocalendar()[1]), (("date",),), 0),
}

__all__ = ["FUNCTIONS", "set_clock"]
