"""Compile the FEEL AST into Python closures once, so evaluating a cell is a few function calls."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from server.decisions import operators as op
from server.decisions.errors import FeelEvaluationError, FeelSyntaxError
from server.decisions.functions import BUILTINS, Builtin
from server.decisions.parser import Node, parse_expression, parse_unary_tests
from server.decisions.values import Range, coerce_in, coerce_type, get_field

Expr = Callable[["Scope"], Any]
Test = Callable[[Any, "Scope"], bool]
MISSING = object()
_PLAIN = frozenset({Decimal, str, bool, type(None)})
# Status codes and small counts arrive as ints on every evaluation; Decimals are immutable, so share them.
_SMALL_INTS = {i: Decimal(i) for i in range(-16, 1025)}


class Scope:
    """Variables visible to an expression: this level's mapping, then the parent's."""

    __slots__ = ("parent", "vars")

    def __init__(self, variables: Mapping[str, Any], parent: Scope | None = None):
        self.vars = variables
        self.parent = parent

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            value = scope.vars.get(name, MISSING)
            if value is not MISSING:
                return value
            scope = scope.parent
        return MISSING


@dataclass(frozen=True)
class FeelFunction:
    """A user function (a business knowledge model): parameters and a body evaluated in its own scope."""

    name: str
    params: tuple[str, ...]
    body: Callable[[Scope], Any]

    def __call__(self, args: list[Any], named: dict[str, Any], scope: Scope) -> Any:
        bound = dict(zip(self.params, args)) if args else {p: named.get(p) for p in self.params}
        for param in self.params:
            bound.setdefault(param, None)
        return self.body(Scope(bound, scope))


@dataclass(frozen=True)
class CompileEnv:
    """What the compiler knows about the model: names with spaces, user functions, declared types."""

    known_names: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()
    types: Mapping[str, str] = field(default_factory=dict)


EMPTY_SCOPE = Scope({})
_BUILTIN_NAMES = frozenset(name for name in BUILTINS if name != "@")


def compile_expression(text: str, env: CompileEnv) -> Expr:
    """A closure evaluating the FEEL expression in a Scope; raises FeelSyntaxError if it does not parse."""
    return _Compiler(env).expr(parse_expression(text, env.known_names | _BUILTIN_NAMES))


def compile_cell(text: str, env: CompileEnv) -> tuple[Expr, bool]:
    """An output entry: the compiled expression and whether it is a constant (empty text is null)."""
    if not text.strip():
        return _const(None), True
    node = parse_expression(text, env.known_names | _BUILTIN_NAMES)
    return _Compiler(env).expr(node), _is_constant(node)


def constant_values(text: str, env: CompileEnv) -> tuple[Any, ...]:
    """The values of a list of constants such as an output's `"Approved", "Declined"` (for PRIORITY)."""
    if not text.strip():
        return ()
    node = parse_unary_tests(text, env.known_names | _BUILTIN_NAMES)
    values = []
    for test in node[1] if node[0] == "ut_or" else []:
        if test[0] != "ut_expr" or not _is_constant(test[1]):
            raise FeelSyntaxError("output values must be constants")
        values.append(_Compiler(env).expr(test[1])(EMPTY_SCOPE))
    return tuple(values)


def compile_unary_tests(text: str, env: CompileEnv) -> Test | None:
    """A closure `test(value, scope) -> bool` for an input entry; None when the entry is `-` (any)."""
    if not text.strip():
        return None
    node = parse_unary_tests(text, env.known_names | _BUILTIN_NAMES)
    if node[0] == "ut_any":
        return None
    return _Compiler(env).tests(node)


class _Compiler:
    def __init__(self, env: CompileEnv):
        self.env = env

    # expressions ------------------------------------------------------------------------------
    def expr(self, node: Node) -> Expr:
        if _is_constant(node) and node[0] != "const":
            return _const(self._fold(node))
        handler = getattr(self, "_" + node[0], None)
        if handler is None:
            raise FeelSyntaxError(f"unsupported expression {node[0]!r}")
        return handler(node)  # type: ignore[no-any-return]

    def _fold(self, node: Node) -> Any:
        handler = getattr(self, "_" + node[0])
        try:
            return handler(node)(EMPTY_SCOPE)
        except FeelEvaluationError as exc:
            raise FeelSyntaxError(str(exc)) from exc

    def _const(self, node: Node) -> Expr:
        return _const(node[1])

    def _input(self, node: Node) -> Expr:
        def current(scope: Scope) -> Any:
            value = scope.lookup("?")
            return None if value is MISSING else value
        return current

    def _name(self, node: Node) -> Expr:
        name, type_ref = node[1], self.env.types.get(node[1])

        def lookup(scope: Scope) -> Any:
            value = scope.vars.get(name, MISSING)
            if value is MISSING:
                value = scope.lookup(name)
                if value is MISSING:
                    return None
            return value if type(value) in _PLAIN else _coerce(value)

        if type_ref is None:
            return lookup
        return lambda scope: coerce_type(lookup(scope), type_ref)

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
        value, test = self.expr(node[1]), self.tests(node[2])
        return lambda scope: test(value(scope), scope)

    def _instance(self, node: Node) -> Expr:
        value, type_name = self.expr(node[1]), node[2]
        return lambda scope: op.instance_of(value(scope), type_name)

    def _list(self, node: Node) -> Expr:
        items = [self.expr(item) for item in node[1]]
        return lambda scope: [item(scope) for item in items]

    def _context(self, node: Node) -> Expr:
        entries = [(key, self.expr(value)) for key, value in node[1]]

        def build(scope: Scope) -> dict[str, Any]:
            result: dict[str, Any] = {}
            inner = Scope(result, scope)  # later entries see earlier ones
            for key, value in entries:
                result[key] = value(inner)
            return result
        return build

    def _range(self, node: Node) -> Expr:
        low, high, low_closed, high_closed = self.expr(node[1]), self.expr(node[2]), node[3], node[4]
        return lambda scope: Range(low(scope), high(scope), low_closed, high_closed)

    def _path(self, node: Node) -> Expr:
        target, name = self.expr(node[1]), node[2]
        return lambda scope: get_field(target(scope), name)

    def _filter(self, node: Node) -> Expr:
        target, predicate = self.expr(node[1]), self.expr(node[2])
        return lambda scope: op.filter_list(target(scope), predicate, scope)

    def _call(self, node: Node) -> Expr:
        callee, positional, named = node[1], node[2], node[3]
        if callee[0] != "name":
            raise FeelSyntaxError("only named functions can be called")
        name = callee[1]
        args = [self.expr(a) for a in positional]
        kwargs = [(key, self.expr(value)) for key, value in named]
        if name in self.env.functions:
            return _user_call(name, args, kwargs)
        builtin = BUILTINS.get(name)
        if builtin is None:
            raise FeelSyntaxError(f"unknown function {name!r}")
        if kwargs:
            return _named_builtin_call(name, builtin, kwargs)
        _check_arity(name, builtin, len(args))
        fn = builtin.fn
        return lambda scope: op.safe_call(fn, [a(scope) for a in args])

    # unary tests ------------------------------------------------------------------------------
    def tests(self, node: Node) -> Test:
        if node[0] == "ut_not":
            inner = self.tests(("ut_or", node[1]))
            return lambda value, scope: not inner(value, scope)
        tests = [self.positive(test) for test in node[1]]
        if len(tests) == 1:
            return tests[0]
        return lambda value, scope: any(test(value, scope) for test in tests)

    def positive(self, node: Node) -> Test:
        if node[0] == "ut_cmp":
            return self._comparison_test(node[1], node[2])
        expr_node = node[1]
        if _uses_input(expr_node):
            expr = self.expr(expr_node)
            return lambda value, scope: expr(Scope({"?": value}, scope)) is True
        expr = self.expr(expr_node)
        if _is_constant(expr_node):
            return op.constant_test(expr(EMPTY_SCOPE))
        return lambda value, scope: op.matches_value(value, expr(scope))

    def _comparison_test(self, operator: str, endpoint_node: Node) -> Test:
        endpoint = self.expr(endpoint_node)
        if _is_constant(endpoint_node):
            return op.constant_comparison(operator, endpoint(EMPTY_SCOPE))
        fn = op.COMPARE[operator]
        return lambda value, scope: fn(value, endpoint(scope)) is True


def _coerce(value: Any) -> Any:
    if type(value) is int:
        small = _SMALL_INTS.get(value)
        if small is not None:
            return small
    return coerce_in(value)


def _const(value: Any) -> Expr:
    return lambda scope: value


def _check_arity(name: str, builtin: Builtin, count: int) -> None:
    if builtin.variadic and count >= 1:
        return
    for params in builtin.overloads:
        if len(params) - builtin.optional <= count <= len(params):
            return
    expected = " or ".join(str(len(p)) for p in builtin.overloads)
    raise FeelSyntaxError(f"{name}() takes {expected} argument(s), {count} given")


def _named_builtin_call(name: str, builtin: Builtin, kwargs: list[tuple[str, Expr]]) -> Expr:
    keys = {key for key, _ in kwargs}
    params = next((p for p in builtin.overloads if keys <= set(p)), None)
    if params is None:
        raise FeelSyntaxError(f"{name}() has no parameter(s) {', '.join(sorted(keys - set()))}")
    present = [p for p in params if p in keys]
    order = params[:max(params.index(p) for p in present) + 1]
    values = dict(kwargs)
    fn = builtin.fn
    return lambda scope: op.safe_call(fn, [values[p](scope) if p in values else None for p in order])


def _user_call(name: str, args: list[Expr], kwargs: list[tuple[str, Expr]]) -> Expr:
    def call(scope: Scope) -> Any:
        function = scope.lookup(name)
        if not isinstance(function, FeelFunction):
            return None
        return function([a(scope) for a in args], {k: v(scope) for k, v in kwargs}, scope)
    return call


def _children(node: Node) -> list[Node]:
    kids: list[Node] = []
    for part in node[1:]:
        if isinstance(part, tuple) and part and isinstance(part[0], str):
            kids.append(part)
        elif isinstance(part, list):
            for item in part:
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) \
                        and isinstance(item[1], tuple):
                    kids.append(item[1])  # a context entry or named argument
                elif isinstance(item, tuple):
                    kids.append(item)
    return kids


def _is_constant(node: Node) -> bool:
    kind = node[0]
    if kind == "const":
        return True
    if kind in ("name", "input", "filter"):
        return False
    if kind == "call" and (node[1][0] != "name" or node[1][1] not in BUILTINS):
        return False
    children = _children(node)[1:] if kind == "call" else _children(node)
    return all(_is_constant(child) for child in children)


def _uses_input(node: Node) -> bool:
    return node[0] == "input" or any(_uses_input(child) for child in _children(node))


__all__ = [
    "EMPTY_SCOPE",
    "MISSING",
    "CompileEnv",
    "FeelFunction",
    "Scope",
    "compile_cell",
    "compile_expression",
    "compile_unary_tests",
    "constant_values",
]
