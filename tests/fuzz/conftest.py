"""A fuzz test that does not finish fails, instead of holding the whole run until CI's cap.

Hypothesis' deadline judges an example only once it returns; a parser that spins forever never does
(SpiffWorkflow's data-object lookup did, see server/engine/parser.py). SIGALRM interrupts it with a
BaseException, which neither the parsers' `except Exception` nor Hypothesis takes for an ordinary
failure to shrink, and the traceback shows where it spun. Each test here takes well under 10 s.
"""
from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

SECONDS_PER_TEST = 120


class FuzzTestHung(BaseException):
    """Raised into a fuzz test still running after its time."""


@pytest.fixture(autouse=True)
def fails_instead_of_spinning_forever() -> Iterator[None]:
    limit = SECONDS_PER_TEST * max(1, int(os.environ.get("STROOM_FUZZ_SCALE", "1") or 1))

    def stop(_signum: int, _frame: object) -> None:
        raise FuzzTestHung(f"still running after {limit} s: a parser that never returns?")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(limit)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
