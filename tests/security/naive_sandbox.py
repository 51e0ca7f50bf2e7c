"""The naive sandbox the corpus must get out of: run as `python naive_sandbox.py JSON`, one child per batch.

Trimmed `__builtins__` (no open, import, eval, getattr, vars, type, ...), as server/engine/scripting.py
had minus its AST checker; `full` keeps every builtin (for escapes that need an import to show teeth).
"""
from __future__ import annotations

import builtins
import json
import sys

SAFE = ("abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance", "len", "list",
        "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum", "tuple", "zip", "True",
        "False", "None", "__build_class__", "ValueError", "KeyError", "IndexError", "ZeroDivisionError", "Exception", "hasattr")


def run(text: str, *, mode: str, full: bool) -> dict:
    scope: dict = {"__name__": "payload", "box": [], "__builtins__": vars(builtins) if full else {n: getattr(builtins, n) for n in SAFE}}
    if mode == "eval":
        value = eval(compile(text, "<payload>", "eval"), scope)
        scope["result"] = value
    else:
        exec(compile(text, "<payload>", "exec"), scope)  # noqa: S102
    return {"leaked": str(scope.get("leaked"))}


if __name__ == "__main__":
    results = []
    for case in json.loads(sys.argv[1]):
        try:
            results.append(run(case["text"], mode=case["mode"], full=case["full"]))
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results.append({"error": f"{type(exc).__name__}: {exc}"})
    print(json.dumps(results))
