"""FEEL's temporal values: parsing and printing dates, times, date-times and the two duration kinds.

date is `datetime.date`, date and time is `datetime.datetime`, time is `datetime.time` (each with no
zone, a fixed offset or an IANA zone id), days and time duration is `datetime.timedelta` and years
and months duration is `YearsMonths`. Years outside 1..9999 are not representable (null).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DATE = re.compile(r"(-?)(\d{4,9})-(\d\d)-(\d\d)")
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d(?::\d\d)?|@[A-Za-z0-9_/+\-]+)?")
_DT_DURATION = re.compile(r"(-)?P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d*)?)S)?)?")
_YM_DURATION = re.compile(r"(-)?P(?!$)(?:(\d+)Y)?(?:(\d+)M)?")
UTC = dt.UTC
MAX_DAYS = 999_999_999


@dataclass(frozen=True, order=True, slots=True)
class YearsMonths:
    """A years and months duration, kept as a signed number of months."""

    months: int

    def __str__(self) -> str:
        return format_duration(self)


@lru_cache(maxsize=256)
def zone(name: str) -> dt.tzinfo | None:
    """An IANA zone by id (`Europe/Paris`), or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _offset(text: str) -> dt.tzinfo | None:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    parts = [int(p) for p in text[1:].split(":")]
    delta = dt.timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2] if len(parts) > 2 else 0)
    if delta > dt.timedelta(hours=14):
        raise ValueError("offset out of range")
    return dt.timezone(sign * delta)


def _tz(text: str | None) -> dt.tzinfo | None | bool:
    """The tzinfo of a suffix; False when the suffix names no zone."""
    if not text:
        return None
    if text.startswith("@"):
        found = zone(text[1:])
        return found if found is not None else False
    try:
        return _offset(text)
    except ValueError:
        return False


def parse_date(text: str) -> dt.date | None:
    """An ISO calendar date `YYYY-MM-DD` (years 1..9999), or None."""
    match = _DATE.fullmatch(text.strip()) if type(text) is str else None
    if not match or match[1] or (len(match[2]) > 4 and match[2][0] == "0"):
        return None
    try:
        return dt.date(int(match[2]), int(match[3]), int(match[4]))
    except ValueError:
        return None


def _time_parts(match: re.Match[str]) -> dt.time | None:
    hour, minute, second = int(match[1]), int(match[2]), int(match[3])
    micro = int((match[4] or ".0")[1:7].ljust(6, "0"))
    tz = _tz(match[5])
    if hour == 24 and minute == 0 and second == 0 and micro == 0:
        hour = 0  # 24:00:00 is the end of the day: midnight (parse_datetime moves to the next day)
    if tz is False or hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second, micro, tzinfo=tz)  # type: ignore[arg-type]


def parse_time(text: str) -> dt.time | None:
    """`HH:MM:SS[.fff][Z|+hh:mm|@zone]`, or None."""
    match = _TIME.fullmatch(text.strip()) if type(text) is str else None
    return _time_parts(match) if match else None


def parse_datetime(text: str) -> dt.datetime | None:
    """`date` `T` `time`, or a bare date (midnight, no zone); None when it is neither."""
    if type(text) is not str:
        return None
    text = text.strip()
    day_text, sep, time_text = text.partition("T")
    day = parse_date(day_text)
    if day is None:
        return None
    if not sep:
        return dt.datetime(day.year, day.month, day.day)
    time = parse_time(time_text)
    if time is None:
        return None
    if time_text.startswith("24"):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, time, tzinfo=time.tzinfo)


def parse_duration(text: str) -> dt.timedelta | YearsMonths | None:
    """An ISO 8601 duration: `P1Y2M` is years and months, `P1DT2H` days and time; mixed ones are null."""
    if type(text) is not str:
        return None
    text = text.strip()
    match = _YM_DURATION.fullmatch(text)
    if match:
        months = int(match[2] or 0) * 12 + int(match[3] or 0)
        return YearsMonths(-months if match[1] else months)
    match = _DT_DURATION.fullmatch(text)
    if not match or text.endswith("T"):
        return None
    seconds = Decimal(match[5] or 0)
    try:
        delta = dt.timedelta(days=int(match[2] or 0), hours=int(match[3] or 0), minutes=int(match[4] or 0),
                             microseconds=int(seconds * 1_000_000))
    except OverflowError:
        return None
    return -delta if match[1] else delta


def parse_any(text: str) -> Any:
    """What `@"..."` means: a date and time, a date, a time or a duration; None if none of them."""
    if type(text) is not str:
        return None
    if text[:1] in ("P", "-") and "P" in text[:2]:
        return parse_duration(text)
    if "T" in text:
        return parse_datetime(text)
    if ":" in text:
        return parse_time(text)
    return parse_date(text)


def _zone_suffix(tz: dt.tzinfo | None, when: dt.datetime | None) -> str:
    if tz is None:
        return ""
    if isinstance(tz, ZoneInfo):
        return "@" + tz.key
    offset = tz.utcoffset(when)
    if offset is None:
        return ""
    if offset == dt.timedelta(0):
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    total = abs(int(offset.total_seconds()))
    text = f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"
    return text + (f":{total % 60:02d}" if total % 60 else "")


def _clock(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def format_temporal(value: Any) -> str:
    """FEEL's string() of a temporal value (`2018-01-02T10:30:00+01:00`, `P1Y2M`, `-PT1H`)."""
    if isinstance(value, dt.datetime):
        return f"{value.date().isoformat()}T{_clock(value)}{_zone_suffix(value.tzinfo, value)}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _clock(value) + _zone_suffix(value.tzinfo, None)
    return format_duration(value)


def format_duration(value: dt.timedelta | YearsMonths) -> str:
    """`P1Y2M`, `P0M`, `P1DT2H30M`, `-PT0.5S`, `PT0S`."""
    if isinstance(value, YearsMonths):
        sign, months = ("-" if value.months < 0 else ""), abs(value.months)
        years, rest = divmod(months, 12)
        body = (f"{years}Y" if years else "") + (f"{rest}M" if rest or not years else "")
        return f"{sign}P{body}"
    sign = "-" if value < dt.timedelta(0) else ""
    micro = abs(value // dt.timedelta(microseconds=1))
    seconds, micro = divmod(micro, 1_000_000)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micro:
        clock += (f"{seconds}.{micro:06d}".rstrip("0") if micro else str(seconds)) + "S"
    if not days and not clock:
        return "PT0S"
    return f"{sign}P{f'{days}D' if days else ''}{'T' + clock if clock else ''}"


def seconds_of(delta: dt.timedelta) -> Decimal:
    """A days and time duration as a Decimal number of seconds (exact to the microsecond)."""
    return Decimal(delta // dt.timedelta(microseconds=1)).scaleb(-6)


def delta_of(seconds: Decimal) -> dt.timedelta | None:
    """A Decimal number of seconds as a duration (rounded to the microsecond); None out of range."""
    try:
        return dt.timedelta(microseconds=int(seconds.scaleb(6).to_integral_value()))
    except (OverflowError, ArithmeticError, ValueError):
        return None


def time_offset(value: dt.time | dt.datetime) -> dt.timedelta | None:
    """The value's UTC offset as a duration (a zone id's offset at that instant); None without a zone."""
    if value.tzinfo is None:
        return None
    if isinstance(value, dt.time):
        if isinstance(value.tzinfo, ZoneInfo):
            return value.tzinfo.utcoffset(dt.datetime.combine(dt.date.today(), value.replace(tzinfo=None)))
        return value.utcoffset()
    return value.utcoffset()


def timezone_name(value: dt.time | dt.datetime) -> str | None:
    """The zone id of a value in a named zone, else its offset text (`Z`, `+01:00`) or null."""
    tz = value.tzinfo
    if tz is None:
        return None
    if isinstance(tz, ZoneInfo):
        return tz.key
    return _zone_suffix(tz, value if isinstance(value, dt.datetime) else None)
