"""Compile the FEEL AST into Python closures once, so evaluating a cell is a few function calls.

Evaluation never raises for a FEEL error: a bad call or a wrong type gives null and a warning (see
runtime). Only the bounds (runtime.MAX_STEPS, MAX_DEPTH, MAX_ITEMS, operators.MAX_STRING) raise.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from server.decisions import operators as op
from server.decisions import runtime
from server.decisions.analysis import is_constant
from server.decisions.callables import FeelFunction
from server.decisions.errors import FeelEvaluationError, FeelSyntaxError
from server.decisions.external import external_function
from server.decisions.functions import BUILTINS
from server.decisions.iteration import compile_for, compile_quantifier
from server.decisions.parser import Node, parse_expression, parse_unary_tests
from server.decisions.scope import EMPTY_SCOPE, MISSING, CompileEnv, Expr, Scope, Test
from server.decisions.temporal import parse_any
from server.decisions.types import conforms
from server.decisions.unary import compile_tests
from server.decisions.values import ATOMS, UNBOUNDED, Range, coerce_in, get_field

_PLAIN = ATOMS  # values a name lookup gives back as they are
# Status codes and small counts arrive as ints on every evaluation; Decimals are immutable, so share them.
SMALL_INTS = {i: Decimal(i) for i in range(-16, 1025)}


BUILTIN_NAMES = frozenset(BUILTINS)


def compile_node(node: Node, env: CompileEnv) -> Expr:
    """A closure for an already parsed expression."""
    return _Compiler(env).expr(node)


def compile_expression(text: str, env: CompileEnv) -> Expr:
    """A closure evaluating the FEEL expression in a Scope; raises FeelSyntaxError if it does not parse."""
    return _Compiler(env).expr(parse_expression(text, env.known_names | BUILTIN_NAMES))


def compile_cell(text: str, env: CompileEnv) -> tuple[Expr, bool]:
    """An output entry: the compiled expression and whether it is a constant (empty text is null)."""
    if not text.strip():
        return _const(None), True
    node = parse_expression(text, env.known_names | BUILTIN_NAMES)
    return _Compiler(env).expr(node), is_constant(node)


def plain_name(text: str, env: CompileEnv) -> str | None:
    """The variable when an expression is only a name (no path, no call), else None."""
    try:
        node = parse_expression(text, env.known_names | BUILTIN_NAMES)
    except FeelSyntaxError:
        return None
    return node[1] if node[0] == "name" and "." not in node[1] else None


def constant_values(text: str, env: CompileEnv) -> tuple[Any, ...]:
    """The values of a list of constants such as an output's `"Approved", "Declined"` (for PRIORITY)."""
    if not text.strip():
        return ()
    node = parse_unary_tests(text, env.known_names | BUILTIN_NAMES)
    values = []
    for test in node[1] if node[0] == "ut_or" else []:
        if test[0] != "ut_expr" or not is_constant(test[1]):
            raise FeelSyntaxError("output values must be constants")
        values.append(_Compiler(env).expr(test[1])(EMPTY_SCOPE))
    return tuple(values)


def compile_unary_tests(text: str, env: CompileEnv) -> Test | None:
    """A closure `test(value, scope) -> bool` for an input entry; None when the entry is `-` (any)."""
    if not text.strip():
        return None
    node = parse_unary_tests(text, env.known_names | BUILTIN_NAMES)
    if node[0] == "ut_any":
        return None
    return _Compiler(env).tests(node)


class _Compiler:
    def __init__(self, env: CompileEnv):
        self.env = env
        self.bound: set[str] = set()

    # expressions ------------------------------------------------------------------------------
    def expr(self, node: Node) -> Expr:
        if node[0] != "const" and is_constant(node):
            warnings = runtime.warnings()
            before = len(warnings)
            value = self._fold(node)
            if len(warnings) == before:
                return _const(value)
            del warnings[before:]  # a constant that warns is evaluated each time, so its trace says why
        handler = getattr(self, "_" + node[0], None)
        if handler is None:
            raise FeelSyntaxError(f"unsupported expression {node[0]!r}")
        return handler(node)

    def _fold(self, node: Node) -> Any:
        handler = getattr(self, "_" + node[0])
        try:
            return handler(node)(EMPTY_SCOPE)
        except FeelEvaluationError as exc:
            raise FeelSyntaxError(str(exc)) from exc

    def _const(self, node: Node) -> Expr:
        return _const(node[1])

    def _at(self, node: Node) -> Expr:
        value = parse_any(node[1])
        if value is None:
            text = node[1]
            return lambda scope: runtime.null(f"@{text!r} is not a date, time or duration")
        return _const(value)

    def _input(self, node: Node) -> Expr:
        def current(scope: Scope) -> Any:
            value = scope.lookup("?")
            return None if value is MISSING else value
        return current

    def _name(self, node: Node) -> Expr:
        name = node[1]
        builtin = BUILTINS.get(name)
        dotted = name.split(".") if "." in name else None  # `Person.Gender`: a name, else a path

        def lookup(scope: Scope) -> Any:
            value = scope.vars.get(name, MISSING)
            if value is MISSING:
                value = scope.lookup(name)
                if value is MISSING:
                    return builtin if dotted is None else _path(scope, dotted)
            return value if type(value) in _PLAIN else plain_value(value)
        return lookup

    def _and(self, node: Node) -> Expr:
        left, right = self.expr(node[1]), self.expr(node[2])
        return lambda scope: op.logical_and(left(scope), lambda: right(scope))

    def _or(self, node: Node) -> Expr:
        left, right = self.expr(node[1]), self.expr(node[2])
        return lambda scope: op.logical_or(left(scope), lambda: right(scope))

    def _cmp(self, node: Node) -> Expr:
        fn, left, right = op.COMPARE[node[1]], self.expr(node[2]), self.expr(node[3])
        return lambda scope: fn(left(scope), right(scope))

    def _arith(self, node: Node) -> Expr:
        fn, left, right = op.ARITHMETIC[node[1]], self.expr(node[2]), self.expr(node[3])
        return lambda scope: fn(left(scope), right(scope))

    def _neg(self, node: Node) -> Expr:
        operand = self.expr(node[1])
        return lambda scope: op.negate(operand(scope))

    def _if(self, node: Node) -> Expr:
        cond, then, other = self.expr(node[1]), self.expr(node[2]), self.expr(node[3])
        return lambda scope: then(scope) if cond(scope) is True else other(scope)

    def _between(self, node: Node) -> Expr:
        value, low, high = self.expr(node[1]), self.expr(node[2]), self.expr(node[3])
        return lambda scope: op.between(value(scope), low(scope), high(scope))

    def _in(self, node: Node) -> Expr:
        value, test = self.expr(node[1]), self.tests(node[2], strict=True)
        return lambda scope: test(value(scope), scope)

    def _instance(self, node: Node) -> Expr:
        value, spec, types = self.expr(node[1]), node[2], self.env.types
        return lambda scope: conforms(value(scope), spec, types)

    def _list(self, node: Node) -> Expr:
        items = [self.expr(item) for item in node[1]]
        return lambda scope: [item(scope) for item in items]

    def _context(self, node: Node) -> Expr:
        self.bound.update(key for key, _ in node[1])
        entries = [(key, self.expr(value)) for key, value in node[1]]
        if len({key for key, _ in entries}) != len(entries):
            return lambda scope: runtime.null("a context with the same key twice")

        def build(scope: Scope) -> dict[str, Any]:
            result: dict[str, Any] = {}
            inner = Scope(result, scope)  # later entries see earlier ones
            for key, value in entries:
                result[key] = value(inner)
            return result
        return build

    def _range(self, node: Node) -> Expr:
        low, high, low_closed, high_closed = self.expr(node[1]), self.expr(node[2]), node[3], node[4]
        return lambda scope: op.make_range(low(scope), high(scope), low_closed, high_closed)

    def _urange(self, node: Node) -> Expr:
        kind, endpoint = node[1], self.expr(node[2])

        def build(scope: Scope) -> Any:
            value = endpoint(scope)
            if kind in ("=", "!="):
                return Range(value, value, True, True) if kind == "=" else runtime.null("!= is not a range")
            if kind in ("<", "<="):
                return Range(UNBOUNDED, value, False, kind == "<=")
            return Range(value, UNBOUNDED, kind == ">=", False)
        return build

    def _path(self, node: Node) -> Expr:
        target, name = self.expr(node[1]), node[2]
        return lambda scope: get_field(target(scope), name)

    def _filter(self, node: Node) -> Expr:
        target, predicate = self.expr(node[1]), self.expr(node[2])
        return lambda scope: op.filter_list(target(scope), predicate, scope)

    def _call(self, node: Node) -> Expr:
        callee, positional, named = node[1], node[2], node[3]
        args = [self.expr(a) for a in positional]
        kwargs = [(key, self.expr(value)) for key, value in named]
        label = callee[1] if callee[0] == "name" else "the called value"
        if self.env.strict and callee[0] == "name":
            self._check_call(label, len(args), [k for k, _ in kwargs])
        function = self.expr(callee)
        if kwargs:
            def call_named(scope: Scope) -> Any:
                fn = function(scope)
                if fn is None:
                    return runtime.null(f"no function {label!r}")
                values = {k: v(scope) for k, v in kwargs}
                return op.invoke(fn, [], values, label)
            return call_named

        def call(scope: Scope) -> Any:
            fn = function(scope)
            if fn is None:
                return runtime.null(f"no function {label!r}")
            return op.invoke(fn, [a(scope) for a in args], None, label)
        return call

    def _check_call(self, name: str, count: int, keys: list[str]) -> None:
        if name in self.env.known_names or name in self.bound:
            return
        builtin = BUILTINS.get(name)
        if builtin is None:
            raise FeelSyntaxError(f"unknown function {name!r}")
        if not keys and not builtin.accepts(count):
            expected = " or ".join(str(len(p)) for p in builtin.overloads)
            raise FeelSyntaxError(f"{name}() takes {expected} argument(s), {count} given")

    def _for(self, node: Node) -> Expr:
        return compile_for(self, node)

    def _quant(self, node: Node) -> Expr:
        return compile_quantifier(self, node)

    def _fn(self, node: Node) -> Expr:
        params = tuple(name for name, _ in node[1])
        self.bound.update(params)
        types = tuple(kind for _, kind in node[1])
        body_node = node[2]
        if body_node[0] == "external":
            spec = self.expr(body_node[1])
            return lambda scope: external_function("external", params, spec(scope), scope)
        body = self.expr(body_node)
        check = _type_check(types, self.env.types) if any(types) else None
        return lambda scope: FeelFunction("", params, body, scope, check)

    # unary tests ------------------------------------------------------------------------------
    def tests(self, node: Node, strict: bool = False) -> Any:
        return compile_tests(self, node, strict)


def _type_check(types: tuple[Any, ...], defs: Mapping[str, Any]) -> Callable[[list[Any]], list[Any] | None]:
    def check(args: list[Any]) -> list[Any] | None:
        for value, kind in zip(args, types):
            if kind is not None and value is not None and not conforms(value, kind, defs):
                return None
        return args
    return check


def _path(scope: Scope, parts: list[str]) -> Any:
    value = scope.lookup(parts[0].strip())
    if value is MISSING:
        return None
    for part in parts[1:]:
        value = get_field(value, part.strip())
    return value


def plain_value(value: Any) -> Any:
    """An input value as a name lookup gives it: ints (small ones shared), floats, lists coerced to FEEL values."""
    if type(value) is int:
        small = SMALL_INTS.get(value)
        if small is not None:
            return small
    return coerce_in(value)


def _const(value: Any) -> Expr:
    return lambda scope: value


__all__ = [
    "EMPTY_SCOPE",
    "MISSING",
    "CompileEnv",
    "FeelFunction",
    "Scope",
    "compile_cell",
    "compile_expression",
    "compile_node",
    "compile_unary_tests",
    "constant_values",
    "plain_name",
    "plain_value",
]
