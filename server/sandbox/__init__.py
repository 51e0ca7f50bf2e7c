"""Python scripts and expressions, where an administrator allows them: RestrictedPython, out of process.

`check_python` compiles under RestrictedPython's policy in the calling process (nothing runs);
`run_python_script` and `evaluate_python` send the text and a JSON copy of the data to a worker
process with CPU-time, wall-time, memory and output limits and return JSON. No designer text is
executed in the server process. Whether an environment allows Python: `server.sandbox.policy`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from server.sandbox import pool, restricted
from server.sandbox.errors import LimitExceeded, SandboxError, ScriptFailed, ScriptRefused
from server.sandbox.values import to_json

__all__ = ["LimitExceeded", "SandboxError", "ScriptFailed", "ScriptRefused", "check_python",
           "evaluate_python", "run_python_script", "shutdown"]


def check_python(source: str, *, mode: Literal["exec", "eval"]) -> None:
    """Refuse (ScriptRefused, naming the line) what RestrictedPython will not compile; used at deploy."""
    restricted.check(source, mode=mode)


def _copy(data: Mapping[str, Any]) -> dict[str, Any]:
    try:
        copied = to_json(dict(data), "the data")
    except TypeError as exc:
        raise ScriptFailed(f"TypeError: {exc}") from None
    except RecursionError:
        raise ScriptFailed("RecursionError: the data is nested too deeply") from None
    return copied


def run_python_script(source: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Run a script over a JSON copy of `data` in a worker; the variables it leaves are the new data."""
    check_python(source, mode="exec")
    result = pool.get().run({"mode": "exec", "source": source, "data": _copy(data)})
    if not isinstance(result, dict):
        raise ScriptFailed("SystemError: the script's worker answered something other than data")
    return result


def evaluate_python(expression: str, data: Mapping[str, Any]) -> Any:
    """The JSON value of an expression over a JSON copy of `data`, computed in a worker."""
    check_python(expression, mode="eval")
    return pool.get().run({"mode": "eval", "source": expression, "data": _copy(data)})


def shutdown() -> None:
    """Stop and reap every worker (also done at exit); the next script starts the pool again."""
    pool.shutdown()
