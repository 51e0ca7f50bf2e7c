"""FEEL list built-ins (DMN 1.5 §10.3.4.4): aggregates, statistics, slicing, sorting, set operations."""
from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from server.decisions import runtime
from server.decisions.callables import as_callable
from server.decisions.values import DECIMAL, compare, equal


def items(args: tuple[Any, ...]) -> list[Any]:
    """A list given as one list argument or as several arguments (`max([1, 2])`, `max(1, 2)`)."""
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    if len(args) == 1 and args[0] is None:
        raise TypeError("null list")
    return list(args)


def _lst(value: Any) -> list[Any]:
    if not isinstance(value, list):
        if value is None:
            raise TypeError("expects a list")
        return [value]
    return value


def _numbers(args: tuple[Any, ...]) -> list[Decimal]:
    values = items(args)
    if any(type(v) is not Decimal for v in values):
        raise TypeError("expects numbers")
    return values


def _extreme(pick: int) -> Any:
    def extreme(*args: Any) -> Any:
        values = items(args)
        if not values:
            return None
        best = values[0]
        for item in values[1:]:
            order = compare(item, best)
            if order is None:
                raise TypeError("values that cannot be compared")
            if order == pick:
                best = item
        if compare(best, best) != 0:
            raise TypeError("values that cannot be compared")
        return best
    return extreme


def _sum(*args: Any) -> Decimal | None:
    values = _numbers(args)
    if not values:
        return None
    total = Decimal(0)
    for item in values:
        total = DECIMAL.add(total, item)
    return total


def _product(*args: Any) -> Decimal | None:
    values = _numbers(args)
    if not values:
        return None
    total = Decimal(1)
    for item in values:
        total = DECIMAL.multiply(total, item)
    return total


def _mean(*args: Any) -> Decimal | None:
    values = _numbers(args)
    return DECIMAL.divide(_sum(*values) or Decimal(0), Decimal(len(values))) if values else None


def _median(*args: Any) -> Decimal | None:
    values = sorted(_numbers(args))
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return DECIMAL.divide(DECIMAL.add(values[middle - 1], values[middle]), Decimal(2))


def _stddev(*args: Any) -> Decimal | None:
    values = _numbers(args)
    if len(values) < 2:
        return None
    mean = DECIMAL.divide(_sum(*values) or Decimal(0), Decimal(len(values)))
    squares = sum((DECIMAL.power(DECIMAL.subtract(v, mean), 2) for v in values), Decimal(0))
    return DECIMAL.divide(squares, Decimal(len(values) - 1)).sqrt(DECIMAL)


def _mode(*args: Any) -> list[Decimal]:
    values = _numbers(args)
    counts: dict[Decimal, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    top = max(counts.values(), default=0)
    return sorted(v for v, c in counts.items() if c == top)


def _booleans(args: tuple[Any, ...]) -> list[Any]:
    values = items(args)
    if any(v is not None and type(v) is not bool for v in values):
        raise TypeError("expects booleans")
    return values


def _all(*args: Any) -> bool | None:
    values = _booleans(args)
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _any(*args: Any) -> bool | None:
    values = _booleans(args)
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _position(lst: list[Any], position: Any) -> int:
    if type(position) is not Decimal or position == 0 or abs(position) > len(lst):
        raise IndexError("position out of the list")
    index = int(position)
    return index - 1 if index > 0 else len(lst) + index


def _sublist(lst: Any, start: Any, length: Any = None) -> list[Any]:
    values = _lst(lst)
    begin = _position(values, start)
    if length is None:
        return values[begin:]
    if type(length) is not Decimal or length < 0 or begin + int(length) > len(values):
        raise IndexError("length out of the list")
    return values[begin:begin + int(length)]


def _insert_before(lst: Any, position: Any, item: Any) -> list[Any]:
    values = _lst(lst)
    index = _position(values, position)
    return [*values[:index], item, *values[index:]]


def _remove(lst: Any, position: Any) -> list[Any]:
    values = _lst(lst)
    index = _position(values, position)
    return [*values[:index], *values[index + 1:]]


def _list_replace(lst: Any, position: Any, new_item: Any) -> list[Any]:
    values = _lst(lst)
    if type(position) is Decimal:
        index = _position(values, position)
        return [new_item if i == index else v for i, v in enumerate(values)]
    match = as_callable(position, 2)
    if match is None or len(getattr(position, "params", ("a", "b"))) != 2:
        raise TypeError("position must be a number or a function")
    result = []
    for v in values:
        outcome = match(v, new_item)
        if outcome is not None and type(outcome) is not bool:
            raise TypeError("the match function must give a boolean")
        result.append(new_item if outcome is True else v)
    return result


def _index_of(lst: Any, match: Any) -> list[Decimal]:
    return [Decimal(i) for i, v in enumerate(_lst(lst), 1) if equal(v, match) is True]


def _distinct(lst: Any) -> list[Any]:
    result: list[Any] = []
    for v in _lst(lst):
        if not any(equal(v, r) is True for r in result):
            result.append(v)
    return result


def _union(*lists: Any) -> list[Any]:
    return _distinct([v for lst in lists for v in _lst(lst)])


def _flatten(lst: Any) -> list[Any]:
    if not isinstance(lst, list):
        raise TypeError("expects a list")
    flat: list[Any] = []
    stack = [iter(lst)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            flat.append(item)
        else:
            stack.pop()
    return flat


def _sort(lst: Any, precedes: Any = None) -> list[Any]:
    values = _lst(lst)
    if precedes is None:
        if any(compare(values[0], v) is None for v in values):
            raise TypeError("values that cannot be compared")
        return sorted(values, key=functools.cmp_to_key(lambda a, b: compare(a, b) or 0))
    before = as_callable(precedes, 2)
    if before is None:
        raise TypeError("precedes must be a function")
    runtime.step(len(values))
    return sorted(values, key=functools.cmp_to_key(
        lambda a, b: -1 if before(a, b) is True else (1 if before(b, a) is True else 0)))


def _concatenate(*lists: Any) -> list[Any]:
    if not all(isinstance(x, list) for x in lists):
        raise TypeError("expects lists")
    runtime.check_items(sum(len(x) for x in lists))
    return [i for lst in lists for i in lst]


def _append(lst: Any, *extra: Any) -> list[Any]:
    return [*_lst(lst), *extra]


def _count(lst: Any) -> Decimal:
    return Decimal(len(_lst(lst)))


def _list_contains(lst: Any, element: Any) -> bool:
    return any(equal(i, element) is True for i in _lst(lst))


def _reverse(lst: Any) -> list[Any]:
    return list(reversed(_lst(lst)))


FUNCTIONS: dict[str, tuple[Any, tuple[tuple[str, ...], ...], int, bool]] = {
    "list contains": (_list_contains, (("list", "element"),), 0, False),
    "count": (_count, (("list",),), 0, False),
    "min": (_extreme(-1), (("list",),), 0, True),
    "max": (_extreme(1), (("list",),), 0, True),
    "sum": (_sum, (("list",),), 0, True),
    "product": (_product, (("list",),), 0, True),
    "mean": (_mean, (("list",),), 0, True),
    "median": (_median, (("list",),), 0, True),
    "stddev": (_stddev, (("list",),), 0, True),
    "mode": (_mode, (("list",),), 0, True),
    "all": (_all, (("list",),), 0, True),
    "any": (_any, (("list",),), 0, True),
    "and": (_all, (("list",),), 0, True),
    "or": (_any, (("list",),), 0, True),
    "sublist": (_sublist, (("list", "start position", "length"),), 1, False),
    "append": (_append, (("list", "item"),), 0, True),
    "concatenate": (_concatenate, (("list",),), 0, True),
    "insert before": (_insert_before, (("list", "position", "newItem"),), 0, False),
    "remove": (_remove, (("list", "position"),), 0, False),
    "reverse": (_reverse, (("list",),), 0, False),
    "index of": (_index_of, (("list", "match"),), 0, False),
    "union": (_union, (("list",),), 0, True),
    "distinct values": (_distinct, (("list",),), 0, False),
    "duplicate values": (lambda lst: _distinct([v for i, v in enumerate(_lst(lst)) if any(
        equal(v, w) is True for w in _lst(lst)[:i])]), (("list",),), 0, False),
    "flatten": (_flatten, (("list",),), 0, False),
    "sort": (_sort, (("list", "precedes"),), 1, False),
    "list replace": (_list_replace, (("list", "position", "newItem"), ("list", "match", "newItem")), 0, False),
}
