"""Unary tests (decision-table input entries and `x in ...`), with fast paths for constant cells."""
from __future__ import annotations

from typing import Any

from server.decisions import operators as op
from server.decisions.analysis import is_constant, uses_input
from server.decisions.parser import Node
from server.decisions.scope import EMPTY_SCOPE, Scope, Test


def compile_tests(compiler: Any, node: Node, strict: bool) -> Test:
    """`test(value, scope)` for `ut_or`/`ut_not` nodes; `strict` keeps null (for `x in ...` as an expression)."""
    if node[0] == "ut_not":
        inner = compile_tests(compiler, ("ut_or", node[1]), True)

        def negated(value: Any, scope: Any) -> Any:
            outcome = inner(value, scope)
            return None if outcome is None else not outcome
        return negated if strict else (lambda value, scope: negated(value, scope) is True)
    tests = [_positive(compiler, test, strict) for test in node[1]]
    if len(tests) == 1:
        return tests[0]
    if not strict:
        either: Test = lambda value, scope: any(test(value, scope) for test in tests)
        return op.pure(either) if all(op.is_pure(test) for test in tests) else either

    def any_of(value: Any, scope: Any) -> Any:
        saw_null = False
        for test in tests:
            outcome = test(value, scope)
            if outcome is True:
                return True
            if outcome is None:
                saw_null = True
        return None if saw_null else False
    return any_of


def _positive(compiler: Any, node: Node, strict: bool) -> Test:
    if node[0] == "ut_cmp":
        endpoint = compiler.expr(node[2])
        if is_constant(node[2]) and not strict:
            return op.constant_comparison(node[1], endpoint(EMPTY_SCOPE))
        fn = op.COMPARE[node[1]]
        if strict:
            return lambda value, scope: fn(value, endpoint(scope))
        return lambda value, scope: fn(value, endpoint(scope)) is True
    expr_node = node[1]
    expr = compiler.expr(expr_node)
    if uses_input(expr_node):
        def with_input(value: Any, scope: Any) -> Any:
            outcome = expr(Scope({"?": value}, scope))
            return outcome if outcome is None or type(outcome) is bool else op.test_outcome(value, outcome)
        return with_input if strict else (lambda value, scope: with_input(value, scope) is True)
    if is_constant(expr_node) and not strict:
        return op.constant_test(expr(EMPTY_SCOPE))
    if strict:
        return lambda value, scope: op.test_outcome(value, expr(scope))
    return lambda value, scope: op.test_outcome(value, expr(scope)) is True
