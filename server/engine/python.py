"""Python scripts and expressions of a model, run only in server.sandbox and only where allowed.

Nothing here evaluates Python in the server process: the text goes to the sandbox's worker pool.
A refusal (setting off, sandbox missing, script refused, failed or over a limit) is a ScriptError,
which the engine turns into an incident naming the element.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server import sandbox
from server.engine.expressions import PYTHON_OFF
from server.engine.types import ScriptError


def _require(allowed: bool) -> None:
    if not allowed:
        raise ScriptError(f"a Python script or expression was not run. {PYTHON_OFF}")


def _failure(exc: sandbox.SandboxError) -> ScriptError:
    if isinstance(exc, sandbox.LimitExceeded):
        return ScriptError(f"Python script stopped: it went over the {exc.limit} limit")
    if isinstance(exc, sandbox.ScriptRefused):
        return ScriptError(f"Python script refused: {exc}")
    return ScriptError(f"Python script failed: {exc}")


def evaluate(expression: str, data: Mapping[str, Any], *, allowed: bool) -> Any:
    """The JSON value of a Python expression, computed in the sandbox."""
    _require(allowed)
    try:
        return sandbox.evaluate_python(expression, data)
    except sandbox.SandboxError as exc:
        raise _failure(exc) from None


def run_script(script: str, data: Mapping[str, Any], *, allowed: bool) -> dict[str, Any]:
    """The new process data after a Python script ran in the sandbox."""
    _require(allowed)
    try:
        return dict(sandbox.run_python_script(script, data))
    except sandbox.SandboxError as exc:
        raise _failure(exc) from None
