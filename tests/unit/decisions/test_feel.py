"""FEEL as designers write it: each construct of an input expression, output entry or unary test."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from server.decisions.compiler import CompileEnv, Scope, compile_expression, compile_unary_tests
from server.decisions.errors import FeelSyntaxError
from server.decisions.values import coerce_in

ENV = CompileEnv(known_names=frozenset({"Full Name", "Monthly Salary"}))
DATA = {"x": "612345", "n": 5, "pct": 0.5, "flag": True, "none": None, "l": [1, 2, 3],
        "invoice": {"amount": 12.5, "supplier": {"name": "ACME"}}, "Full Name": "John Doe",
        "Monthly Salary": 10000, "due": dt.date(2026, 1, 31)}


def evaluate(text: str) -> object:
    return compile_expression(text, ENV)(Scope(DATA))


def unary(text: str, value: object) -> bool:
    compiled = compile_unary_tests(text, ENV)
    return True if compiled is None else compiled(coerce_in(value), Scope(DATA))


@pytest.mark.parametrize(("text", "expected"), [
    ("n + 1", Decimal(6)), ("n * 2 - 1", Decimal(9)), ("n / 2", Decimal("2.5")), ("2 ** 10", Decimal(1024)),
    ("-n", Decimal(-5)), ("1 / 0", None), ("n + null", None), ('"a" + "b"', "ab"), ('"a" + 1', None),
    ("0.1 + 0.2 = 0.3", True), ("invoice.amount", Decimal("12.5")), ("invoice.supplier.name", "ACME"),
    ("invoice.missing", None), ('"Hello " + Full Name', "Hello John Doe"), ("12 * Monthly Salary", Decimal(120000)),
    ("n > 3 and flag", True), ("n > 3 and none", None), ("none and false", False), ("false and none", False),
    ("none or true", True), ("none or false", None), ("not(flag)", False), ("n = 5", True), ("n != 5", False),
    ('n = "5"', None), ("none = null", True), ("n = null", False), ("n >= 5", True), ('"b" > "a"', True),
    ('if n > 3 then "big" else "small"', "big"), ('if none then "yes" else "no"', "no"),
    ("n between 1 and 5", True), ("n in [1..5)", False), ("n in (1, 5, 9)", True), ("n in > 4", True),
    ('starts with(x, "6")', True), ('ends with(x, "45")', True), ('contains(x, "234")', True),
    ("string length(x)", Decimal(6)), ('matches(x, "^6\\d{5}$")', True), ('upper case("abc")', "ABC"),
    ('lower case("ABC")', "abc"), ('substring(x, 2, 3)', "123"), ('substring(x, -2)', "45"),
    ('substring before("a-b", "-")', "a"), ('substring after("a-b", "-")', "b"), ("string(n)", "5"),
    ('date("2026-01-31")', dt.date(2026, 1, 31)), ('due = date("2026-01-31")', True),
    ('due < @"2026-02-01"', True), ("due.month", Decimal(1)), ("date(2026, 2, 30)", None),
    ("sum(l)", Decimal(6)), ("count(l)", Decimal(3)), ("min(l)", Decimal(1)), ("max(3, 9, 4)", Decimal(9)),
    ("l[1]", Decimal(1)), ("l[-1]", Decimal(3)), ("l[item > 1]", [Decimal(2), Decimal(3)]),
    ("[1, 2] = [1, 2]", True), ('{a: 1, b: a + 1}.b', Decimal(2)), ("decimal(1/3, 2)", Decimal("0.33")),
    ("floor(2.7)", Decimal(2)), ("ceiling(2.1)", Decimal(3)), ("abs(-2)", Decimal(2)),
    ('number("1.5")', Decimal("1.5")), ("list contains(l, 2)", True), ("pct < 1", True),
    ("12300 = 1.23e4", True), ('"\\u0041"', "A"),
])
def test_expression(text: str, expected: object) -> None:
    result = evaluate(text)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(("text", "value", "expected"), [
    ("-", "anything", True), ("", None, True), ("<= 1", 1, True), ("<= 1", 2, False), ("< 1", 0.99, True),
    ("> 1", 1, False), (">= 1", 1, True), ("= 3", 3, True), ("3", 3, True), ("3", 4, False),
    ("[0..2]", 2, True), ("[0..2]", 3, False), ("(0..2)", 0, False), ("]0..2[", 2, False), ("[0..2[", 1.5, True),
    ('"creditors"', "creditors", True), ('"creditors"', "Creditors", False), ('"a", "b"', "b", True),
    ('"a", "b"', "c", False), ("1, [5..7]", 6, True), ("not(3)", 3, False), ("not(3)", 2, True),
    ('not("a", "b")', "c", True), ("null", None, True), ("null", 0, False), ("true", True, True),
    ("true", False, False), ("false", None, False), ("<= 1", None, False), ("<= 1", "1", False),
    ("<= 1", True, False), ('date("2026-01-31")', dt.date(2026, 1, 31), True),
    ('< date("2026-02-01")', dt.date(2026, 1, 31), True), ('starts with(?, "6")', "612", True),
    ("? > n", 6, True), ("< n", 4, True), ("100 <= ? <= 110", 105, True), ("100 <= ? <= 110", 111, False),
    ("string length(?) = 6", "612345", True), ("l", 2, True),
])
def test_unary_test(text: str, value: object, expected: bool) -> None:
    assert unary(text, value) is expected


@pytest.mark.parametrize("text", [
    '__import__("os")', 'open("x")', 'eval("1")', "1 +", '"open', "a ; b", "[1, 2", "x..y",
    'starts with(x)', "no such function(1)", "for i in l", "some i in l", "function(a)",
])
def test_text_that_is_not_feel_is_refused(text: str) -> None:
    with pytest.raises(FeelSyntaxError):
        compile_expression(text, ENV)


def test_python_names_are_just_unknown_feel_names() -> None:
    assert evaluate("exec") is None
    assert evaluate("__builtins__") is None


def test_dunder_paths_do_not_reach_python_objects() -> None:
    assert evaluate("x.__class__") is None
    assert evaluate("invoice.__class__.__init__") is None
    assert evaluate("l.__len__") == [None, None, None]
