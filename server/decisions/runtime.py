"""Per-evaluation state: the warnings FEEL's null results leave behind, and the bounds on work done.

A FEEL error (a bad call, a wrong type) is not an exception: the value is null and a warning is kept for
the trace. Bounds are exceptions (FeelLimitError): too many loop steps, too deep a call chain.
"""
from __future__ import annotations

import threading
from typing import Any

from server.decisions.errors import FeelLimitError

MAX_STEPS = 2_000_000  # loop iterations, filter items and function calls per evaluation
MAX_DEPTH = 60  # nested calls of user functions (recursion)
MAX_ITEMS = 1_000_000  # items a for loop, range or list function may produce
MAX_WARNINGS = 50


class _State(threading.local):
    def __init__(self) -> None:
        self.steps = 0
        self.depth = 0
        self.warnings: list[str] = []


_state = _State()


def start() -> list[str]:
    """Begin an evaluation: reset the step budget; returns the list its warnings will go to."""
    _state.steps = 0
    _state.depth = 0
    _state.warnings = []
    return _state.warnings


def warnings() -> list[str]:
    """The warnings of the current evaluation so far."""
    return _state.warnings


def warn(message: str) -> None:
    """Record why an expression gave null (kept to the first MAX_WARNINGS)."""
    if len(_state.warnings) < MAX_WARNINGS:
        _state.warnings.append(message)


def step(count: int = 1) -> None:
    """Count work; raises FeelLimitError past MAX_STEPS."""
    _state.steps += count
    if _state.steps > MAX_STEPS:
        raise FeelLimitError(f"the evaluation exceeded {MAX_STEPS:,} steps")


def check_items(count: int) -> None:
    """Refuse to build a list of more than MAX_ITEMS items."""
    if count > MAX_ITEMS:
        raise FeelLimitError(f"a list of more than {MAX_ITEMS:,} items")


def enter() -> None:
    """A user function call starts (raises past MAX_DEPTH)."""
    if _state.depth >= MAX_DEPTH:
        raise FeelLimitError(f"function calls nested deeper than {MAX_DEPTH}")
    step()
    _state.depth += 1


def leave() -> None:
    """A user function call ended."""
    _state.depth -= 1


def null(message: str) -> Any:
    """Warn and give FEEL's null."""
    warn(message)
    return None
