"""Python scripts and expressions of a model, run only in server.sandbox and only where allowed.

Nothing here evaluates Python in the server process: the text goes to the sandbox's worker pool.
A refusal (setting off, sandbox missing, script refused, failed or over a limit) is a ScriptError,
which the engine turns into an incident naming the element.
"""
from __future__ import annotations

from typing import Any, Mapping

from server import sandbox
from server.engine.expressions import PYTHON_OFF
from server.engine.types import ScriptError


def _sandbox(allowed: bool) -> Any:
    if not allowed:
        raise ScriptError(f"a Python script or expression was not run. {PYTHON_OFF}")

    return sandbox


def _failure(sandbox: Any, exc: Exception) -> ScriptError:
    limit = getattr(exc, "limit", None)
    if isinstance(exc, sandbox.LimitExceeded):
        return ScriptError(f"Python script stopped: it went over the {limit} limit")
    if isinstance(exc, sandbox.ScriptRefused):
        return ScriptError(f"Python script refused: {exc}")
    return ScriptError(f"Python script failed: {exc}")


def evaluate(expression: str, data: Mapping[str, Any], *, allowed: bool) -> Any:
    """The JSON value of a Python expression, computed in the sandbox."""
    sandbox = _sandbox(allowed)
    try:
        return sandbox.evaluate_python(expression, data)
    except sandbox.SandboxError as exc:
        raise _failure(sandbox, exc) from None


def run_script(script: str, data: Mapping[str, Any], *, allowed: bool) -> dict[str, Any]:
    """The new process data after a Python script ran in the sandbox."""
    sandbox = _sandbox(allowed)
    try:
        return dict(sandbox.run_python_script(script, data))
    except sandbox.SandboxError as exc:
        raise _failure(sandbox, exc) from None
