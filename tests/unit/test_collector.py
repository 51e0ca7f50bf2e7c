"""Holding back full garbage collections during bulk jobs (server/collector.py): young collections go on,
holds nest and overlap, an error ends a hold."""
from __future__ import annotations

import gc
import threading

import pytest

from server import collector


@pytest.fixture(autouse=True)
def default_thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def held() -> bool:
    return gc.get_threshold()[2] == collector.NEVER


def test_young_collections_go_on_while_full_ones_wait():
    young, middle, full = gc.get_threshold()
    with collector.full_collections_held():
        assert gc.get_threshold() == (young, middle, collector.NEVER) and gc.isenabled()
        before = gc.get_stats()[0]["collections"]
        for _ in range(young * 3):
            cycle: list = []
            cycle.append(cycle)
        assert gc.get_stats()[0]["collections"] > before  # the young generation is still collected
    assert gc.get_threshold() == (young, middle, full)


def test_full_collections_resume_only_when_the_last_overlapping_hold_ends():
    first_in, second_out = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other_import() -> None:
        with collector.full_collections_held():
            first_in.set()
            second_out.wait(5)
        seen.append(held())  # the first import still runs

    thread = threading.Thread(target=other_import)
    with collector.full_collections_held():
        thread.start()
        first_in.wait(5)
        second_out.set()
        thread.join(5)
        assert seen == [True]
    assert not held()


def test_a_failing_job_does_not_leave_full_collections_held():
    with pytest.raises(RuntimeError), collector.full_collections_held():
        raise RuntimeError("the import failed")
    assert not held()
