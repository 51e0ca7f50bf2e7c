"""A restricted script environment: no imports, no files, no network, no dunder access.

Designer scripts and expressions are checked on the AST before they run and then run with a
whitelist of builtins. `__import__` is absent, so even a construct the checker misses cannot import.
"""
from __future__ import annotations

import ast
import datetime as dt
import decimal
import functools
import math
from types import CodeType, MappingProxyType
from typing import Any, Mapping

from server.engine.types import ScriptError

_SAFE_BUILTIN_NAMES = (
    "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance", "len",
    "list", "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple",
    "zip", "True", "False", "None", "ValueError", "KeyError", "Exception",
)
_FORBIDDEN_NAMES = frozenset({
    "eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "__import__", "input", "breakpoint", "memoryview", "type", "object", "super", "help", "exit", "quit",
})


def _safe_builtins() -> Mapping[str, Any]:
    import builtins

    names = {name: getattr(builtins, name) for name in _SAFE_BUILTIN_NAMES}
    names.update({"Decimal": decimal.Decimal, "datetime": dt.datetime, "date": dt.date,
                  "timedelta": dt.timedelta, "math_floor": math.floor, "math_ceil": math.ceil})
    return MappingProxyType(names)


SAFE_BUILTINS = _safe_builtins()


class _Checker(ast.NodeVisitor):
    def __init__(self, source: str):
        self.source = source

    def _refuse(self, node: ast.AST, why: str) -> None:
        line = getattr(node, "lineno", "?")
        raise ScriptError(f"{why} (line {line}) is not allowed in scripts")

    def visit_Import(self, node: ast.Import) -> None:
        self._refuse(node, "import")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._refuse(node, "import")

    def visit_Name(self, node: ast.Name) -> None:
        if node.id.startswith("__") or node.id in _FORBIDDEN_NAMES:
            self._refuse(node, f"the name {node.id!r}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            self._refuse(node, f"the attribute {node.attr!r}")
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        self._refuse(node, "global")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self._refuse(node, "nonlocal")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and "__" in node.value and "format" in self.source:
            self._refuse(node, "a dunder inside a format string")


@functools.lru_cache(maxsize=4096)
def compile_checked(source: str, mode: str) -> CodeType:
    """Parse, check and compile a script ('exec') or expression ('eval'); cached per text."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        raise ScriptError(f"syntax error on line {exc.lineno}: {exc.msg}") from None
    _Checker(source).visit(tree)
    return compile(tree, "<script>", mode)


def evaluate(expression: str, data: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Any:
    """Evaluate an expression over process data in the restricted environment."""
    code = compile_checked(expression.strip(), "eval")
    scope: dict[str, Any] = {"__builtins__": SAFE_BUILTINS}
    if extra:
        scope.update(extra)
    scope.update(data)
    return eval(code, scope)  # noqa: S307 - checked AST, whitelisted builtins


def execute(script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None) -> None:
    """Run a script that reads and writes process data in place."""
    code = compile_checked(script, "exec")
    scope: dict[str, Any] = {"__builtins__": SAFE_BUILTINS}
    if extra:
        scope.update(extra)
    scope.update(data)
    exec(code, scope)  # noqa: S102 - checked AST, whitelisted builtins
    for key, value in scope.items():
        if key == "__builtins__" or (extra and key in extra) or callable(value) or key.startswith("_"):
            continue
        data[key] = value
    for key in [k for k in data if k not in scope]:
        del data[key]
