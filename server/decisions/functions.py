"""The FEEL built-in library (DMN 1.5 §10.3.4), by name; each gives null and a warning on a wrong call."""
from __future__ import annotations

from typing import Any

from server.decisions import fn_lists, fn_misc, fn_numeric, fn_ranges, fn_temporal, fn_text
from server.decisions.callables import Builtin
from server.decisions.fn_numeric import to_string
from server.decisions.fn_temporal import set_clock

BUILTINS: dict[str, Builtin] = {}


def _register(table: dict[str, tuple[Any, ...]]) -> None:
    for name, spec in table.items():
        fn, overloads, optional = spec[0], spec[1], spec[2]
        variadic = bool(spec[3]) if len(spec) > 3 else False
        BUILTINS[name] = Builtin(fn, overloads, variadic=variadic, optional=optional, name=name)


for _table in (fn_text.FUNCTIONS, fn_numeric.FUNCTIONS, fn_lists.FUNCTIONS, fn_temporal.FUNCTIONS,
               fn_misc.FUNCTIONS, fn_ranges.FUNCTIONS):
    _register(_table)
BUILTINS.pop("and", None)
BUILTINS.pop("or", None)
# Variadic built-ins whose first parameter is not a list.
BUILTINS["append"] = Builtin(BUILTINS["append"].fn, (("list", "item"),), variadic=True, name="append")

__all__ = ["BUILTINS", "Builtin", "set_clock", "to_string"]
