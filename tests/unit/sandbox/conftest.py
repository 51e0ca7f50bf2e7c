"""A sandbox pool with small limits, shared by the module's tests and stopped after them."""
from __future__ import annotations

from typing import Iterator

import pytest

from server.sandbox import pool
from server.sandbox.limits import Limits

SMALL = Limits(cpu_seconds=1, wall_seconds=4.0, memory_mb=256, output_kb=64, workers=2)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[pool.Pool]:
    """The process-wide pool, configured with SMALL limits; every worker is reaped afterwards."""
    started = pool.configure(SMALL)
    yield started
    pool.shutdown()
