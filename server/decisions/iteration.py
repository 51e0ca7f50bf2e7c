"""`for ... return`, `some/every ... satisfies` and the iteration contexts they walk (lists, `1..n`, ranges).

Every step counts against the evaluation's budget, so `for i in 1..1000000000 return i` is an error
(FeelLimitError) within a bounded time, never a hang.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from server.decisions import runtime
from server.decisions.scope import Scope
from server.decisions.values import UNBOUNDED, Range, is_integral

Expr = Callable[["Scope"], Any]


def _span(low: Any, high: Any) -> Iterator[Any] | None:
    """The values of `low..high`: integers or dates, ascending or descending."""
    if type(low) is Decimal and type(high) is Decimal and is_integral(low) and is_integral(high):
        a, b = int(low), int(high)
        runtime.check_items(abs(b - a) + 1)
        step = 1 if b >= a else -1
        return (Decimal(i) for i in range(a, b + step, step))
    if type(low) is dt.date and type(high) is dt.date:
        days = (high - low).days
        runtime.check_items(abs(days) + 1)
        step = 1 if days >= 0 else -1
        return (low + dt.timedelta(days=i) for i in range(0, days + step, step))
    return None


def _iteration(value: Any) -> Iterator[Any] | None:
    if isinstance(value, list):
        return iter(value)
    if isinstance(value, Range):
        if value.low is UNBOUNDED or value.high is UNBOUNDED:
            return None
        low, high = value.low, value.high
        if type(low) is Decimal and type(high) is Decimal:
            low = low if value.low_closed else low + 1
            high = high if value.high_closed else high - 1
        elif type(low) is dt.date and type(high) is dt.date:
            low = low if value.low_closed else low + dt.timedelta(days=1)
            high = high if value.high_closed else high - dt.timedelta(days=1)
        return _span(low, high)
    if value is None:
        return None
    return iter([value])


def _contexts(iterators: list[tuple[str, Expr, Expr | None]], scope: Scope,
              results: list[Any]) -> Iterator[Scope] | None:
    """Every binding of the iterators (nested, left to right) as a Scope; None if one cannot iterate."""
    if len(iterators) == 1:  # the common case, without the nested bindings' copies
        name, low, high = iterators[0]
        outer = Scope({"partial": results}, scope)
        source = _span(low(outer), high(outer)) if high is not None else _iteration(low(outer))
        if source is None:
            raise _NotIterable(name)
        return (_bind(name, value, results, scope) for value in source)

    def walk(index: int, bound: dict[str, Any]) -> Iterator[Scope]:
        name, low, high = iterators[index]
        outer = Scope({**bound, "partial": results}, scope)
        source = _span(low(outer), high(outer)) if high is not None else _iteration(low(outer))
        if source is None:
            raise _NotIterable(name)
        for value in source:
            runtime.step()
            inner = {**bound, name: value}
            if index + 1 == len(iterators):
                yield Scope({**inner, "partial": results}, scope)
            else:
                yield from walk(index + 1, inner)

    return walk(0, {})


def _bind(name: str, value: Any, results: list[Any], scope: Scope) -> Scope:
    runtime.step()
    return Scope({name: value, "partial": results}, scope)


class _NotIterable(Exception):
    pass


def compile_for(compiler: Any, node: tuple[Any, ...]) -> Expr:
    """`for i in L, j in M return e`: a list of e for every binding."""
    getattr(compiler, "bound", set()).update(name for name, _, _ in node[1])
    iterators = [(name, compiler.expr(low), compiler.expr(high) if high is not None else None)
                 for name, low, high in node[1]]
    body = compiler.expr(node[2])

    def evaluate(scope: Scope) -> Any:
        results: list[Any] = []
        try:
            for inner in _contexts(iterators, scope, results) or ():
                results.append(body(inner))
                runtime.check_items(len(results))
        except _NotIterable as exc:
            return runtime.null(f"for: {exc} does not range over a list")
        return results
    return evaluate


def compile_quantifier(compiler: Any, node: tuple[Any, ...]) -> Expr:
    """`some/every x in L satisfies e`."""
    every = node[1] == "every"
    getattr(compiler, "bound", set()).update(name for name, _, _ in node[2])
    iterators = [(name, compiler.expr(low), compiler.expr(high) if high is not None else None)
                 for name, low, high in node[2]]
    condition = compiler.expr(node[3])

    def evaluate(scope: Scope) -> Any:
        saw_null = False
        try:
            for inner in _contexts(iterators, scope, []) or ():
                outcome = condition(inner)
                if outcome is (not every):
                    return not every
                if outcome is not every:
                    if outcome is not None:
                        return runtime.null(f"{node[1]}: a condition that is not a boolean")
                    saw_null = True
        except _NotIterable as exc:
            return runtime.null(f"{node[1]}: {exc} does not range over a list")
        return None if saw_null else every
    return evaluate
