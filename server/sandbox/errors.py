"""The sandbox's exceptions; they cross the process boundary as a kind, a message and a limit name."""
from __future__ import annotations

from typing import Literal

Limit = Literal["cpu_time", "wall_time", "memory", "output"]
LIMITS: frozenset[str] = frozenset({"cpu_time", "wall_time", "memory", "output"})


class SandboxError(Exception):
    """Anything that stops a Python script or expression from giving a result."""


class ScriptRefused(SandboxError):
    """RestrictedPython refused to compile the text; the message names the line."""


class ScriptFailed(SandboxError):
    """The script raised (message "TypeError: ..."), or its result is not JSON."""


class LimitExceeded(SandboxError):
    """The script broke a resource limit; its worker process was killed and replaced."""

    def __init__(self, limit: Limit, message: str | None = None):
        super().__init__(message or f"the script exceeded its {limit.replace('_', ' ')} limit")
        self.limit: Limit = limit
