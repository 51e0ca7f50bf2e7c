"""FEEL's range relations (DMN 1.5 §10.3.4.10, Allen's interval algebra): before, after, meets, overlaps, ...

Each takes points or ranges; an unbounded end (`< 10`) is minus or plus infinity.
"""
from __future__ import annotations

from typing import Any

from server.decisions.values import UNBOUNDED, Range, compare


class _End:
    """Where a range end lies: below everything (-1) or above everything (1)."""

    def __init__(self, side: int):
        self.side = side


_LOW, _HIGH = _End(-1), _End(1)


def _cmp(a: Any, b: Any) -> int:
    if isinstance(a, _End) or isinstance(b, _End):
        sa = a.side if isinstance(a, _End) else 0
        sb = b.side if isinstance(b, _End) else 0
        return (sa > sb) - (sa < sb)
    order = compare(a, b)
    if order is None:
        raise TypeError("values that cannot be compared")
    return order


def _parts(r: Range) -> tuple[Any, bool, Any, bool]:
    if r.low is None or r.high is None:
        raise TypeError("a range with a null end")
    return (_LOW if r.low is UNBOUNDED else r.low, r.low_closed,
            _HIGH if r.high is UNBOUNDED else r.high, r.high_closed)


def _check(*values: Any) -> None:
    if any(v is None for v in values):
        raise TypeError("null argument")


def _before(a: Any, b: Any) -> bool:
    _check(a, b)
    ra, rb = isinstance(a, Range), isinstance(b, Range)
    if not ra and not rb:
        return _cmp(a, b) < 0
    if not ra:
        s, si, _, _ = _parts(b)
        return _cmp(a, s) < 0 or (_cmp(a, s) == 0 and not si)
    _, _, e, ei = _parts(a)
    if not rb:
        return _cmp(e, b) < 0 or (_cmp(e, b) == 0 and not ei)
    s, si, _, _ = _parts(b)
    return _cmp(e, s) < 0 or (_cmp(e, s) == 0 and (not ei or not si))


def _meets(a: Any, b: Any) -> bool:
    _, _, e1, e1i = _ranges(a, b)[0]
    s2, s2i, _, _ = _ranges(a, b)[1]
    return e1i and s2i and _cmp(e1, s2) == 0


def _ranges(a: Any, b: Any) -> tuple[tuple[Any, bool, Any, bool], tuple[Any, bool, Any, bool]]:
    _check(a, b)
    if not isinstance(a, Range) or not isinstance(b, Range):
        raise TypeError("expects two ranges")
    return _parts(a), _parts(b)


def _overlaps(a: Any, b: Any) -> bool:
    (s1, s1i, e1, e1i), (s2, s2i, e2, e2i) = _ranges(a, b)
    return (_cmp(e1, s2) > 0 or (_cmp(e1, s2) == 0 and e1i and s2i)) and \
        (_cmp(s1, e2) < 0 or (_cmp(s1, e2) == 0 and s1i and e2i))


def _overlaps_before(a: Any, b: Any) -> bool:
    (s1, s1i, e1, e1i), (s2, s2i, e2, e2i) = _ranges(a, b)
    return (_cmp(s1, s2) < 0 or (_cmp(s1, s2) == 0 and s1i and not s2i)) and \
        (_cmp(e1, s2) > 0 or (_cmp(e1, s2) == 0 and e1i and s2i)) and \
        (_cmp(e1, e2) < 0 or (_cmp(e1, e2) == 0 and (not e1i or e2i)))


def _finishes(a: Any, b: Any) -> bool:
    _check(a, b)
    if not isinstance(a, Range):
        if not isinstance(b, Range):
            raise TypeError("expects a range")
        _, _, e, ei = _parts(b)
        return ei and _cmp(e, a) == 0
    (s1, s1i, e1, e1i), (s2, s2i, e2, e2i) = _ranges(a, b)
    return e1i == e2i and _cmp(e1, e2) == 0 and (_cmp(s1, s2) > 0 or (_cmp(s1, s2) == 0 and (not s1i or s2i)))


def _includes(a: Any, b: Any) -> bool:
    _check(a, b)
    if not isinstance(a, Range):
        raise TypeError("expects a range first")
    s1, s1i, e1, e1i = _parts(a)
    if not isinstance(b, Range):
        return (_cmp(s1, b) < 0 and _cmp(e1, b) > 0) or (_cmp(s1, b) == 0 and s1i) or (_cmp(e1, b) == 0 and e1i)
    s2, s2i, e2, e2i = _parts(b)
    return (_cmp(s1, s2) < 0 or (_cmp(s1, s2) == 0 and (s1i or not s2i))) and \
        (_cmp(e1, e2) > 0 or (_cmp(e1, e2) == 0 and (e1i or not e2i)))


def _starts(a: Any, b: Any) -> bool:
    _check(a, b)
    if not isinstance(a, Range):
        if not isinstance(b, Range):
            raise TypeError("expects a range")
        s, si, _, _ = _parts(b)
        return si and _cmp(s, a) == 0
    (s1, s1i, e1, e1i), (s2, s2i, e2, e2i) = _ranges(a, b)
    return _cmp(s1, s2) == 0 and s1i == s2i and (_cmp(e1, e2) < 0 or (_cmp(e1, e2) == 0 and (not e1i or e2i)))


def _coincides(a: Any, b: Any) -> bool:
    _check(a, b)
    if not isinstance(a, Range) and not isinstance(b, Range):
        return _cmp(a, b) == 0
    (s1, s1i, e1, e1i), (s2, s2i, e2, e2i) = _ranges(a, b)
    return _cmp(s1, s2) == 0 and s1i == s2i and _cmp(e1, e2) == 0 and e1i == e2i


_POINTS = (("point1", "point2"), ("point", "range"), ("range", "point"), ("range1", "range2"))
_RANGES = (("range1", "range2"),)
_MIXED = (("range", "point"), ("range1", "range2"))
_MIXED_POINT_FIRST = (("point", "range"), ("range1", "range2"))

FUNCTIONS: dict[str, tuple[Any, tuple[tuple[str, ...], ...], int]] = {
    "before": (_before, _POINTS, 0),
    "after": (lambda a, b: _before(b, a), _POINTS, 0),
    "meets": (_meets, _RANGES, 0),
    "met by": (lambda a, b: _meets(b, a), _RANGES, 0),
    "overlaps": (_overlaps, _RANGES, 0),
    "overlaps before": (_overlaps_before, _RANGES, 0),
    "overlaps after": (lambda a, b: _overlaps_before(b, a), _RANGES, 0),
    "finishes": (_finishes, _MIXED_POINT_FIRST, 0),
    "finished by": (lambda a, b: _finishes(b, a), _MIXED, 0),
    "includes": (_includes, _MIXED, 0),
    "during": (lambda a, b: _includes(b, a), _MIXED_POINT_FIRST, 0),
    "starts": (_starts, _MIXED_POINT_FIRST, 0),
    "started by": (lambda a, b: _starts(b, a), _MIXED, 0),
    "coincides": (_coincides, (("point1", "point2"), ("range1", "range2")), 0),
}
