"""FEEL operators with null propagation and three-valued logic, and the fast paths for constant tests."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from server.decisions import runtime, temporal_ops
from server.decisions.errors import FeelLimitError
from server.decisions.scope import Scope, Test
from server.decisions.temporal import YearsMonths
from server.decisions.values import DECIMAL, Range, coerce_in, compare, equal, is_integral

MAX_STRING = 10_000_000  # characters a string built by an expression may reach


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
        if len(a) + len(b) > MAX_STRING:
            raise FeelLimitError(f"a string longer than {MAX_STRING:,} characters")
        return a + b
    return temporal_ops.add(a, b)


def _subtract(a: Any, b: Any) -> Any:
    if type(a) is Decimal and type(b) is Decimal:
        try:
            return DECIMAL.subtract(a, b)
        except ArithmeticError:
            return None
    return temporal_ops.subtract(a, b)


def _multiply(a: Any, b: Any) -> Any:
    if type(a) is Decimal and type(b) is Decimal:
        try:
            return DECIMAL.multiply(a, b)
        except ArithmeticError:
            return None
    return temporal_ops.multiply(a, b)


def _divide(a: Any, b: Any) -> Any:
    if type(a) is Decimal and type(b) is Decimal:
        try:
            return DECIMAL.divide(a, b)
        except ArithmeticError:  # division by zero, overflow: FEEL's answer is null
            return None
    return temporal_ops.divide(a, b)


def _power(a: Any, b: Any) -> Decimal | None:
    if type(a) is not Decimal or type(b) is not Decimal or abs(b) > 999_999:
        return None
    try:
        if is_integral(b):
            return DECIMAL.power(a, b)
        return DECIMAL.power(a, b) if a >= 0 else None
    except ArithmeticError:
        return None


ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": _add, "-": _subtract, "*": _multiply, "/": _divide, "**": _power,
}


def negate(value: Any) -> Any:
    """Unary minus on a number or a duration; null otherwise."""
    if type(value) is Decimal:
        try:
            return DECIMAL.minus(value)
        except ArithmeticError:  # a literal beyond the context's exponent range
            return None
    return temporal_ops.negate(value)


def between(value: Any, low: Any, high: Any) -> bool | None:
    """`value between low and high`, both ends included."""
    return logical_and(COMPARE[">="](value, low), lambda: COMPARE["<="](value, high))


def make_range(low: Any, high: Any, low_closed: bool, high_closed: bool) -> Range | None:
    """A range value `[low..high]`; null when the endpoints are of kinds that do not compare."""
    if low is not None and high is not None:
        order = compare(low, high)
        if order is None or order > 0:
            return runtime.null("a range's endpoints must be of one kind, the lower first")
    return Range(low, high, low_closed, high_closed)


def invoke(function: Any, args: list[Any], named: dict[str, Any] | None, label: str) -> Any:
    """Call a FEEL function value (built-in, user function, BKM); null and a warning when it is not one."""
    method = getattr(function, "invoke", None)
    if method is None:
        return runtime.null(f"{label} is not a function")
    return method(args, named)


def test_outcome(value: Any, expected: Any) -> bool | None:
    """Whether an input satisfies a unary test's value: in a range, in a list (of values or ranges), equal."""
    if isinstance(expected, Range):
        return expected.contains(value)
    if isinstance(expected, list):
        if isinstance(value, list) and equal(value, expected) is True:
            return True
        saw_null = False
        for item in expected:
            outcome = item.contains(value) if isinstance(item, Range) else equal(value, item)
            if outcome is True:
                return True
            saw_null = saw_null or outcome is None
        return False
    return equal(value, expected)


def filter_list(target: Any, predicate: Callable[[Scope], Any], scope: Scope) -> Any:
    """`list[n]` (1-based, negative from the end) or `list[condition]` with `item` and its fields in scope."""
    if target is None:
        return None
    items = target if isinstance(target, list) else [target]
    runtime.step(len(items))
    kept = []
    for item in items:
        fields = {"item": item}
        if isinstance(item, dict):
            fields.update(item)
        outcome = predicate(Scope(fields, scope))
        if type(outcome) is Decimal:
            index = int(outcome)
            if index == 0 or abs(index) > len(items):
                return runtime.null(f"index {index} is outside a list of {len(items)}")
            return items[index - 1] if index > 0 else items[index]
        if outcome is True:
            kept.append(coerce_in(item))
        elif outcome is not None and outcome is not False:
            return runtime.null("a filter condition that is not a boolean")
    return kept


def pure(test: Test, equals: tuple[type, Any] | None = None) -> Test:
    """Mark a test that reads only its value and never warns; `equals` (kind, constant) when it is `= constant`.

    A decision table may check pure tests in any order, and compare all `equals` tests of a rule at once.
    """
    setattr(test, "pure", True)  # noqa: B010 - an attribute of the function object, read by tables
    setattr(test, "equals", equals)  # noqa: B010
    return test


def is_pure(test: Test) -> bool:
    """Whether `test` was marked pure (see pure())."""
    return getattr(test, "pure", False) is True


def equality(test: Test) -> tuple[type, Any] | None:
    """(kind, constant) when `test` is `type(value) is kind and value == constant`, else None."""
    return getattr(test, "equals", None)


def constant_test(expected: Any) -> Test:
    """A fast test for a constant cell: `"creditors"`, `3`, `true`, `null`, `[0..2]`, `"a", "b"`."""
    if expected is None:
        return pure(lambda value, scope: value is None, (type(None), None))
    kind = type(expected)
    if kind in _NATIVE or kind is bool:
        return pure(lambda value, scope: type(value) is kind and value == expected, (kind, expected))
    if isinstance(expected, list) and all(type(item) in (Decimal, str, bool) for item in expected):
        return pure(lambda value, scope: any(type(value) is type(item) and value == item for item in expected))
    if isinstance(expected, Range):
        return pure(_range_test(expected))
    return pure(lambda value, scope: test_outcome(value, expected) is True)


# Kinds whose values compare with Python's operators exactly as values.compare() orders them (same kind only)
_NATIVE = (Decimal, str, dt.date, dt.timedelta, YearsMonths)


def _range_test(rng: Range) -> Test:
    low, high, kind = rng.low, rng.high, type(rng.low)
    if kind is not type(high) or kind not in _NATIVE:
        return lambda value, scope: rng.contains(value) is True
    if rng.low_closed and rng.high_closed:
        return lambda value, scope: type(value) is kind and low <= value <= high
    if rng.low_closed:
        return lambda value, scope: type(value) is kind and low <= value < high
    if rng.high_closed:
        return lambda value, scope: type(value) is kind and low < value <= high
    return lambda value, scope: type(value) is kind and low < value < high


def constant_comparison(operator: str, endpoint: Any) -> Test:
    """A fast `< 1`, `>= 0.5`, `= "x"` against a constant endpoint; other types never match."""
    kind = type(endpoint)
    if kind not in _NATIVE:
        fn = COMPARE[operator]
        return pure(lambda value, scope: fn(value, endpoint) is True)
    if operator == "=":
        return pure(lambda value, scope: type(value) is kind and value == endpoint, (kind, endpoint))
    tests: dict[str, Test] = {
        "<": lambda value, scope: type(value) is kind and value < endpoint,
        "<=": lambda value, scope: type(value) is kind and value <= endpoint,
        ">": lambda value, scope: type(value) is kind and value > endpoint,
        ">=": lambda value, scope: type(value) is kind and value >= endpoint,
        # null != 1 is true in FEEL (null equals only null); another kind is not comparable (null, no match)
        "!=": lambda value, scope: value is None or (type(value) is kind and value != endpoint),
    }
    return pure(tests[operator])
