"""The complete DMN TCK (levels 2 and 3): every level-2 testCase passes, the overall count holds its floor."""
from __future__ import annotations

import pytest

from tests.unit.decisions.tck import Report, floor, run


@pytest.fixture(scope="module")
def report() -> Report:
    result = run()
    print("\n" + result.summary())
    return result


def test_every_level_2_testcase_passes(report: Report) -> None:
    failures = [f"{case}/{test}: {reason}" for level, case, test, reason in report.failures if level == 2]
    assert report.total[2] > 0
    assert not failures, "\n".join(failures)


def test_the_passed_count_stays_at_or_above_the_floor(report: Report) -> None:
    assert sum(report.total.values()) == 3391, "the TCK corpus changed"
    assert report.overall >= floor(), f"{report.overall} testCases pass, the floor is {floor()}"
