"""FEEL function values: built-ins and user functions (function definitions, BKMs), invoked by position or name.

A wrong call (unknown parameter, wrong number of arguments, an argument of the wrong kind) gives null
and a warning, never an exception: one bad call must not fail the whole model.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.decisions import runtime
from server.decisions.errors import FeelLimitError
from server.decisions.scope import Scope

# What a built-in may raise on arguments it cannot use; anything else is a bug and propagates.
_ARGUMENT_ERRORS = (TypeError, ValueError, ArithmeticError, AttributeError, IndexError, KeyError, OverflowError)


@dataclass(frozen=True)
class Builtin:
    """A built-in: the callable and its overloads' parameter names (for named arguments and arity)."""

    fn: Callable[..., Any]
    overloads: tuple[tuple[str, ...], ...]
    variadic: bool = False  # any number of positional arguments (min(1, 2, 3)); named: the first overload
    optional: int = 0  # how many trailing parameters may be left out
    name: str = ""

    def invoke(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        """Call with positional `args`, or with `named` arguments; null and a warning on a wrong call."""
        if named is not None:
            positional = self._by_name(named)
            if positional is None:
                return runtime.null(f"{self.name}() has no parameters named {', '.join(named)}")
            args = positional
        elif not self.accepts(len(args)):
            expected = " or ".join(str(len(p)) for p in self.overloads)
            return runtime.null(f"{self.name}() takes {expected} argument(s), {len(args)} given")
        try:
            return self.fn(*args)
        except FeelLimitError:
            raise
        except _ARGUMENT_ERRORS as exc:
            return runtime.null(f"{self.name}(): {exc or type(exc).__name__}")

    def accepts(self, count: int) -> bool:
        """Whether `count` positional arguments fit one of the overloads."""
        if self.variadic and count >= 1:
            return True
        return any(len(p) - self.optional <= count <= len(p) for p in self.overloads)

    def _by_name(self, named: dict[str, Any]) -> list[Any] | None:
        keys = set(named)
        for params in self.overloads:
            if not keys <= set(params):
                continue
            required = params[:len(params) - self.optional]
            last = max((params.index(k) for k in keys), default=-1)
            values = [named.get(p) for p in params[:max(last + 1, len(required))]]
            if self.variadic and params == self.overloads[0] and len(values) == 1 and \
                    not isinstance(values[0], list):
                return None
            return values
        return None


class FeelFunction:
    """A user function: parameters (with optional types), a compiled body and the scope it was defined in."""

    __slots__ = ("body", "check", "closure", "name", "params")

    def __init__(self, name: str, params: tuple[str, ...], body: Callable[[Scope], Any], closure: Scope | None,
                 check: Callable[[list[Any]], list[Any] | None] | None = None):
        self.name, self.params, self.body, self.closure, self.check = name, params, body, closure, check

    def invoke(self, args: list[Any], named: dict[str, Any] | None = None) -> Any:
        """Bind the arguments and evaluate the body; null and a warning on a wrong call."""
        if named is not None:
            unknown = set(named) - set(self.params)
            if unknown:
                return runtime.null(f"{self.name or 'function'}() has no parameter {min(unknown)!r}")
            args = [named.get(p) for p in self.params]
        elif len(args) != len(self.params):
            return runtime.null(f"{self.name or 'function'}() takes {len(self.params)} argument(s), "
                                f"{len(args)} given")
        if self.check is not None:
            checked = self.check(args)
            if checked is None:
                return runtime.null(f"{self.name or 'function'}(): an argument does not have the declared type")
            args = checked
        runtime.enter()
        try:
            return self.body(Scope(dict(zip(self.params, args)), self.closure))
        finally:
            runtime.leave()

    def __repr__(self) -> str:
        return f"function {self.name}({', '.join(self.params)})"


def invoke(function: Any, args: list[Any], named: dict[str, Any] | None, label: str) -> Any:
    """Call any FEEL function value; null and a warning when `function` is not one."""
    method = getattr(function, "invoke", None)
    if method is None:
        return runtime.null(f"{label} is not a function")
    return method(args, named)


def as_callable(function: Any, arity: int) -> Callable[..., Any] | None:
    """A Python callable for a FEEL function passed to a built-in (sort's precedes, a filter)."""
    if getattr(function, "invoke", None) is None:
        return None
    return lambda *args: function.invoke(list(args), None)
