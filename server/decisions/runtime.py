"""Per-evaluation state: the warnings FEEL's null results leave behind, and the bounds on work done.

A FEEL error (a bad call, a wrong type) is not an exception: the value is null and a warning is kept for
the trace. Bounds are exceptions (FeelLimitError): too many loop steps, too deep a call chain.
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

from server.decisions.errors import FeelLimitError

MAX_STEPS = 1_000_000  # loop iterations, filter items and function calls per evaluation
MAX_SECONDS = 5.0  # wall time one evaluation may take, checked every CHECK_EVERY steps
CHECK_EVERY = 2048
MAX_DEPTH = 60  # nested calls of user functions (recursion)
MAX_ITEMS = 1_000_000  # items a for loop, range or list function may produce
MAX_WARNINGS = 50


Clock = Callable[[], dt.datetime]
_default_clock: Clock = lambda: dt.datetime.now(dt.UTC)


class _Evaluation:
    """One evaluation's counters, warnings and clock (one object per evaluation: cheap to start)."""

    __slots__ = ("check_at", "clock", "deadline", "depth", "steps", "warnings")

    def __init__(self, clock: Clock | None) -> None:
        self.steps = 0
        self.depth = 0
        self.warnings: list[str] = []
        self.clock = clock
        self.check_at = CHECK_EVERY
        self.deadline = time.monotonic() + MAX_SECONDS


class _Current(threading.local):
    def __init__(self) -> None:
        self.evaluation = _Evaluation(None)


_current = _Current()


def start(clock: Clock | None = None) -> list[str]:
    """Begin an evaluation (now()/today() read `clock`, else the default clock); returns its warnings list."""
    evaluation = _current.evaluation = _Evaluation(clock)
    return evaluation.warnings


def now() -> dt.datetime:
    """The current instant for now()/today(): the evaluation's injected clock, else the default one."""
    return (_current.evaluation.clock or _default_clock)()


def set_clock(clock: Clock) -> Clock:
    """Replace the default clock (an aware datetime factory); returns the previous one."""
    global _default_clock
    previous, _default_clock = _default_clock, clock
    return previous


def warnings() -> list[str]:
    """The warnings of the current evaluation so far."""
    return _current.evaluation.warnings


def warn(message: str) -> None:
    """Record why an expression gave null (kept to the first MAX_WARNINGS)."""
    if len(_current.evaluation.warnings) < MAX_WARNINGS:
        _current.evaluation.warnings.append(message)


def step(count: int = 1) -> None:
    """Count work; raises FeelLimitError past MAX_STEPS or the evaluation's deadline."""
    evaluation = _current.evaluation
    evaluation.steps += count
    if evaluation.steps >= evaluation.check_at:
        evaluation.check_at = evaluation.steps + CHECK_EVERY
        if evaluation.steps > MAX_STEPS:
            raise FeelLimitError(f"the evaluation exceeded {MAX_STEPS:,} steps")
        if time.monotonic() > evaluation.deadline:
            raise FeelLimitError(f"the evaluation took longer than {MAX_SECONDS:g} s")


def check_items(count: int) -> None:
    """Refuse to build a list of more than MAX_ITEMS items."""
    if count > MAX_ITEMS:
        raise FeelLimitError(f"a list of more than {MAX_ITEMS:,} items")


def enter() -> None:
    """A user function call starts (raises past MAX_DEPTH)."""
    if _current.evaluation.depth >= MAX_DEPTH:
        raise FeelLimitError(f"function calls nested deeper than {MAX_DEPTH}")
    step()
    _current.evaluation.depth += 1


def leave() -> None:
    """A user function call ended."""
    _current.evaluation.depth -= 1


def null(message: str) -> Any:
    """Warn and give FEEL's null."""
    warn(message)
    return None
