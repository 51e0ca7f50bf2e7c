"""`external` Java functions (DMN 1.5 §10.3.2.13.3) from a fixed allowlist of pure java.lang methods.

A model names a class and a method signature; Stroom never loads code for it: the pair must be one of
the entries below, each a small Python function. Anything else is a function that gives null.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from server.decisions import runtime
from server.decisions.callables import FeelFunction

_SIGNATURE = re.compile(r"\s*([\w$]+)\s*\(([^)]*)\)\s*")
_INTEGRAL = {"int": (-2**31, 2**31 - 1), "long": (-2**63, 2**63 - 1), "short": (-2**15, 2**15 - 1),
             "byte": (-128, 127)}


_NUMERIC = frozenset({"double", "float", "int", "long", "short", "byte"})


def _double(value: float) -> Decimal | None:
    return Decimal(repr(value)) if math.isfinite(value) else None


def _from_text(kind: str) -> Any:
    def parse(text: str) -> Decimal:
        return Decimal(int(text)) if kind == "int" else _double(float(text))  # type: ignore[return-value]
    return parse


_ALLOWED: dict[tuple[str, str], Any] = {
    ("java.lang.Math", "max"): max, ("java.lang.Math", "min"): min, ("java.lang.Math", "abs"): abs,
    ("java.lang.Math", "cos"): math.cos, ("java.lang.Math", "sin"): math.sin, ("java.lang.Math", "tan"): math.tan,
    ("java.lang.Math", "sqrt"): math.sqrt, ("java.lang.Math", "exp"): math.exp, ("java.lang.Math", "log"): math.log,
    ("java.lang.Math", "floor"): math.floor, ("java.lang.Math", "ceil"): math.ceil, ("java.lang.Math", "pow"): pow,
    ("java.lang.Short", "valueOf"): lambda v: v, ("java.lang.Byte", "valueOf"): lambda v: v,
    ("java.lang.Integer", "valueOf"): lambda v: int(v) if isinstance(v, str) else v,
    ("java.lang.Long", "valueOf"): lambda v: int(v) if isinstance(v, str) else v,
    ("java.lang.Double", "valueOf"): lambda v: float(v) if isinstance(v, str) else v,
    ("java.lang.Float", "valueOf"): lambda v: float(v) if isinstance(v, str) else v,
    ("java.lang.String", "valueOf"): lambda v: v if isinstance(v, str) else str(v),
    ("java.lang.String", "format"): lambda fmt, *args: fmt.replace("%s", "{}").format(*args),
}


def _argument(value: Any, kind: str) -> Any:
    kind = kind.strip()
    if kind in ("double", "float", "java.lang.Double", "java.lang.Float"):
        return float(value) if type(value) is Decimal else _bad()
    if kind in _INTEGRAL:
        low, high = _INTEGRAL[kind]
        if type(value) is not Decimal or value != value.to_integral_value() or not low <= int(value) <= high:
            return _bad()
        return int(value)
    if kind == "char":
        return value if type(value) is str and len(value) == 1 else _bad()
    if kind == "java.lang.String":
        return value if type(value) is str else _bad()
    if kind.startswith("[L"):
        return value
    return _bad()


def _bad() -> Any:
    raise TypeError("an argument of the wrong Java type")


def _result(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _double(value)
    return value


def external_function(name: str, params: tuple[str, ...], spec: Any, closure: Any) -> Any:
    """A FEEL function value whose body is the allowlisted Java method `spec` names."""
    call = java_function(spec, name)
    return FeelFunction(name, params, lambda scope: call(*(scope.vars.get(p) for p in params)), closure)


def java_function(spec: Any, name: str) -> Any:
    """A callable for `{class, method signature}`; one that gives null when it is not on the allowlist."""
    spec = spec.get("java", spec) if isinstance(spec, dict) else None
    match = _SIGNATURE.fullmatch(spec.get("method signature", "")) if isinstance(spec, dict) else None
    target = _ALLOWED.get((spec.get("class", ""), match[1])) if isinstance(spec, dict) and match else None
    if target is None:
        return lambda *args: runtime.null(f"{name}: external function {spec!r} is not available")
    kinds = [k for k in match[2].split(",") if k.strip()] if match else []
    if spec.get("class") == "java.lang.Math" and any(k.strip() not in _NUMERIC for k in kinds):
        return lambda *args: runtime.null(f"{name}: java.lang.Math has no such method")

    def call(*args: Any) -> Any:
        try:
            return _call(*args)
        except TypeError as exc:
            return runtime.null(f"{name}: {exc}")

    def _call(*args: Any) -> Any:
        if len(kinds) == 1 and kinds[0].strip().startswith("[L"):
            converted = list(args)
        elif kinds and kinds[-1].strip().startswith("[L"):
            fixed = [_argument(a, k) for a, k in zip(args, kinds[:-1])]
            converted = fixed + list(args[len(kinds) - 1:])
        else:
            if len(args) != len(kinds):
                return runtime.null(f"{name}: wrong number of arguments")
            converted = [_argument(a, k) for a, k in zip(args, kinds)]
        try:
            return _result(target(*converted))
        except (TypeError, ValueError, ArithmeticError, OverflowError, IndexError) as exc:
            return runtime.null(f"{name}: {exc}")
    return call
