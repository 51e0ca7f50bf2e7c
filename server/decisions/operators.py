"""FEEL operators with null propagation and three-valued logic, and the fast paths for constant tests."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from server.decisions.values import DECIMAL, Range, coerce_in, compare, equal

if TYPE_CHECKING:
    from server.decisions.compiler import Scope

Test = Callable[[Any, "Scope"], bool]


def logical_and(left: Any, right: Callable[[], Any]) -> bool | None:
    """FEEL `and`: false wins over null (`null and false` is false); non-booleans count as null."""
    if left is False:
        return False
    value = right()
    if value is False:
        return False
    return True if left is True and value is True else None


def logical_or(left: Any, right: Callable[[], Any]) -> bool | None:
    """FEEL `or`: true wins over null (`null or true` is true)."""
    if left is True:
        return True
    value = right()
    if value is True:
        return True
    return False if left is False and value is False else None


def _ordered(test: Callable[[int], bool]) -> Callable[[Any, Any], bool | None]:
    def compare_with(left: Any, right: Any) -> bool | None:
        order = compare(left, right)
        return None if order is None else test(order)
    return compare_with


def _not_equal(left: Any, right: Any) -> bool | None:
    same = equal(left, right)
    return None if same is None else not same


COMPARE: dict[str, Callable[[Any, Any], bool | None]] = {
    "=": equal, "!=": _not_equal,
    "<": _ordered(lambda o: o < 0), "<=": _ordered(lambda o: o <= 0),
    ">": _ordered(lambda o: o > 0), ">=": _ordered(lambda o: o >= 0),
}


def _add(a: Any, b: Any) -> Any:
    if type(a) is Decimal and type(b) is Decimal:
        try:
            return DECIMAL.add(a, b)
        except ArithmeticError:  # overflow (1e999999999 + 1): null, like the other operators
            return None
    if type(a) is str and type(b) is str:
        return a + b
    return None


def _numeric(fn: Callable[[Decimal, Decimal], Decimal]) -> Callable[[Any, Any], Decimal | None]:
    def apply(a: Any, b: Any) -> Decimal | None:
        if type(a) is not Decimal or type(b) is not Decimal:
            return None
        try:
            return fn(a, b)
        except ArithmeticError:  # division by zero, overflow: FEEL's answer is null
            return None
    return apply


def _power(a: Decimal, b: Decimal) -> Decimal:
    if abs(b) > 999_999:
        raise ArithmeticError("exponent too large")
    return DECIMAL.power(a, b)


ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add,
    "-": _numeric(DECIMAL.subtract),
    "*": _numeric(DECIMAL.multiply),
    "/": _numeric(DECIMAL.divide),
    "**": _numeric(_power),
}


def negate(value: Any) -> Decimal | None:
    """Unary minus on a number; null otherwise."""
    if type(value) is not Decimal:
        return None
    try:
        return DECIMAL.minus(value)
    except ArithmeticError:  # a literal beyond the context's exponent range
        return None


def between(value: Any, low: Any, high: Any) -> bool | None:
    """`value between low and high`, both ends included."""
    return logical_and(COMPARE[">="](value, low), lambda: COMPARE["<="](value, high))


_TYPES: dict[str, Callable[[Any], bool]] = {
    "number": lambda v: type(v) is Decimal, "string": lambda v: type(v) is str,
    "boolean": lambda v: type(v) is bool, "date": lambda v: type(v) is dt.date,
    "list": lambda v: isinstance(v, list), "context": lambda v: isinstance(v, dict),
    "range": lambda v: isinstance(v, Range), "Any": lambda v: v is not None, "Null": lambda v: v is None,
}


def instance_of(value: Any, type_name: str) -> bool | None:
    """`value instance of type` for the basic types."""
    check = _TYPES.get(type_name.split("<", 1)[0].strip())
    return None if check is None else check(value)


def filter_list(target: Any, predicate: Callable[[Scope], Any], scope: Scope) -> Any:
    """`list[n]` (1-based, negative from the end) or `list[condition]` with `item` and its fields in scope."""
    from server.decisions.compiler import Scope

    if target is None:
        return None
    items = target if isinstance(target, list) else [target]
    kept = []
    for item in items:
        fields = dict(item) if isinstance(item, dict) else {}
        fields["item"] = item
        outcome = predicate(Scope(fields, scope))
        if type(outcome) is Decimal:
            index = int(outcome)
            if index == 0 or abs(index) > len(items):
                return None
            return items[index - 1] if index > 0 else items[index]
        if outcome is True:
            kept.append(coerce_in(item))
    return kept


def safe_call(fn: Callable[..., Any], args: list[Any]) -> Any:
    """Call a built-in; arguments of the wrong kind give null, as FEEL requires, instead of an exception."""
    try:
        return fn(*args)
    except (TypeError, ValueError, ArithmeticError, AttributeError, IndexError, KeyError):
        return None


def matches_value(value: Any, expected: Any) -> bool:
    """Whether an input satisfies a unary test expression's value: in a range, in a list, or equal."""
    if isinstance(expected, Range):
        return expected.contains(value) is True
    if isinstance(expected, list):
        return equal(value, expected) is True or any(equal(value, item) is True for item in expected)
    return equal(value, expected) is True


def constant_test(expected: Any) -> Test:
    """A fast test for a constant cell: `"creditors"`, `3`, `true`, `null`, `[0..2]`, `"a", "b"`."""
    if expected is None:
        return lambda value, scope: value is None
    kind = type(expected)
    if kind in (Decimal, str, bool, dt.date):
        return lambda value, scope: type(value) is kind and value == expected
    if isinstance(expected, Range):
        return _range_test(expected)
    return lambda value, scope: matches_value(value, expected)


def _range_test(rng: Range) -> Test:
    low, high = rng.low, rng.high
    if type(low) is Decimal and type(high) is Decimal:
        if rng.low_closed and rng.high_closed:
            return lambda value, scope: type(value) is Decimal and low <= value <= high
        if not rng.low_closed and not rng.high_closed:
            return lambda value, scope: type(value) is Decimal and low < value < high
    return lambda value, scope: rng.contains(value) is True


def constant_comparison(operator: str, endpoint: Any) -> Test:
    """A fast `< 1`, `>= 0.5`, `= "x"` against a constant endpoint; other types never match."""
    kind = type(endpoint)
    if kind not in (Decimal, str, dt.date):
        fn = COMPARE[operator]
        return lambda value, scope: fn(value, endpoint) is True
    tests: dict[str, Test] = {
        "<": lambda value, scope: type(value) is kind and value < endpoint,
        "<=": lambda value, scope: type(value) is kind and value <= endpoint,
        ">": lambda value, scope: type(value) is kind and value > endpoint,
        ">=": lambda value, scope: type(value) is kind and value >= endpoint,
        "=": lambda value, scope: type(value) is kind and value == endpoint,
        "!=": lambda value, scope: type(value) is kind and value != endpoint,
    }
    return tests[operator]
