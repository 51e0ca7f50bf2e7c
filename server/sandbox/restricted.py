"""RestrictedPython's compiler and guards: what a Python script may name, read, write and call.

Imported by the server (to refuse a script at deploy) and by the worker process (to run it); it needs
only the standard library and RestrictedPython. Nothing here runs a script in the server process.
"""
from __future__ import annotations

import ast
import datetime as dt
import decimal
import math
from collections.abc import Mapping
from types import CodeType, MappingProxyType
from typing import Any, Literal

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector

from server.sandbox.errors import ScriptRefused

Mode = Literal["exec", "eval"]
FILENAME = "<script>"
MAX_SOURCE = 64 * 1024

# Builtins a script may call beyond RestrictedPython's safe set. Classes stay out (no __build_class__),
# and so do type, vars, dir, getattr without the guard, open, __import__, compile, eval and exec.
_EXTRA_BUILTINS = {
    "dict": dict, "list": list, "set": set, "frozenset": frozenset, "sorted": sorted, "min": min, "max": max,
    "sum": sum, "any": any, "all": all, "enumerate": enumerate, "zip": zip, "map": map, "filter": filter,
    "reversed": reversed, "math": math, "Decimal": decimal.Decimal, "datetime": dt.datetime, "date": dt.date,
    "timedelta": dt.timedelta,
}
_DROPPED_BUILTINS = ("__build_class__", "_getattr_")


def _guarded_getattr(obj: Any, name: str, *default: Any) -> Any:
    """The script's getattr(): names starting with "_", frame and code attributes and str.format refused."""
    if len(default) > 1:
        raise TypeError(f"getattr expected at most 3 arguments, got {2 + len(default)}")
    return safer_getattr(obj, name, default[0]) if default else safer_getattr_raise(obj, name)


def _inplace(op: str, x: Any, y: Any) -> Any:
    """x op= y for the in-place operators RestrictedPython rewrites (no mutation of foreign objects)."""
    operators = {"+=": lambda: x + y, "-=": lambda: x - y, "*=": lambda: x * y, "/=": lambda: x / y,
                 "//=": lambda: x // y, "%=": lambda: x % y, "**=": lambda: x ** y, "<<=": lambda: x << y,
                 ">>=": lambda: x >> y, "|=": lambda: x | y, "^=": lambda: x ^ y, "&=": lambda: x & y}
    if op not in operators:
        raise TypeError(f"the operator {op} is not allowed")
    return operators[op]()


def _apply(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, and no import or class statement at all (refused at deploy, not at run)."""

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import is not allowed in scripts")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import is not allowed in scripts")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class statements are not allowed in scripts")
        return node


def _builtins() -> Mapping[str, Any]:
    names = {k: v for k, v in safe_builtins.items() if k not in _DROPPED_BUILTINS}
    names.update(limited_builtins)
    names.update(_EXTRA_BUILTINS)
    names["range"] = range  # RestrictedPython's caps at 1,000 items; the worker's CPU and memory limits hold
    names["getattr"] = _guarded_getattr
    return MappingProxyType(names)


BUILTINS = _builtins()
GUARD_NAMES = frozenset({"__builtins__", "__name__", "_getattr_", "_getitem_", "_getiter_", "_write_",
                         "_iter_unpack_sequence_", "_unpack_sequence_", "_inplacevar_", "_print_", "_print",
                         "_apply_"})


def check(source: str, *, mode: Mode) -> CodeType:
    """Compile under RestrictedPython, or ScriptRefused naming the line of the first refusal."""
    if not isinstance(source, str):
        raise ScriptRefused("a script is text")
    if len(source) > MAX_SOURCE:
        raise ScriptRefused(f"a script is at most {MAX_SOURCE} characters (this one has {len(source)})")
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source.strip() if mode == "eval" else source, filename=FILENAME, policy=_Policy)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ScriptRefused(f"the script cannot be compiled: {type(exc).__name__}: {exc}") from None
    if result.errors:
        raise ScriptRefused(" ".join(result.errors))
    if not isinstance(result.code, CodeType):
        raise ScriptRefused("the script cannot be compiled")
    return result.code


def scope(data: Mapping[str, Any]) -> dict[str, Any]:
    """Fresh globals for one run: the guards, the builtins and the (copied) process data."""
    names: dict[str, Any] = {
        "__builtins__": BUILTINS, "__name__": "script", "_getattr_": _guarded_getattr,
        "_getitem_": default_guarded_getitem, "_getiter_": iter, "_write_": full_write_guard,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": _inplace, "_print_": PrintCollector, "_apply_": _apply,
    }
    names.update((k, v) for k, v in data.items() if not k.startswith("_"))
    return names
