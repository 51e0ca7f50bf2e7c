"""The collector pause of bulk jobs (server/collector.py): nested and overlapping pauses, and errors."""
from __future__ import annotations

import gc
import threading

import pytest

from server import collector


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_runs_again_only_when_the_last_overlapping_pause_ends():
    first_in, second_out = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other_import() -> None:
        with collector.paused():
            first_in.set()
            second_out.wait(5)
        seen.append(gc.isenabled())  # the first import still runs

    thread = threading.Thread(target=other_import)
    with collector.paused():
        thread.start()
        first_in.wait(5)
        assert not gc.isenabled()
        second_out.set()
        thread.join(5)
        assert seen == [False]
    assert gc.isenabled()


def test_a_failing_job_does_not_leave_the_collector_off():
    with pytest.raises(RuntimeError), collector.paused():
        raise RuntimeError("the import failed")
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_process_stays_off():
    gc.disable()
    with collector.paused():
        pass
    assert not gc.isenabled()
