"""The JSON values that cross the process boundary, both ways."""
from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any


def to_json(value: Any, path: str) -> Any:
    """A JSON value: Decimal as text, dates as ISO 8601, tuples and sets as lists; else TypeError."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{path} is {value}, which JSON cannot hold")
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [to_json(item, f"{path}[{i}]") for i, item in enumerate(items)]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"{path} has the key {key!r}; JSON keys are text")
        return {key: to_json(item, f"{path}[{key!r}]") for key, item in value.items()}
    raise TypeError(f"{path} holds a {type(value).__name__}, which is not JSON")
