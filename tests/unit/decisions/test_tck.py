"""The DMN TCK compliance cases: every level-2 case passes; level-3 cases pass unless listed below."""
from __future__ import annotations

from pathlib import Path

import pytest

from server.decisions import DecisionError, DecisionParseError, parse_dmn
from tests.unit.decisions.tck import matches, read_tests, tck_cases

UNSUPPORTED = {
    "0004-lending": "boxed invocations and BKM-based contexts (not in the designer's FEEL subset)",
    "0007-date-time": "date and time, time and duration values",
    "0016-some-every": "some/every quantified expressions and relations",
    "0037-dt-on-bkm-implicit-params": "boxed invocation of a business knowledge model",
    "0038-dt-on-bkm-explicit-params": "boxed invocation of a business knowledge model",
    "0068-feel-equality": "time, date and time, duration and function values",
    "0071-feel-between": "between on time, date and time and duration values",
    "0086-import": "DMN imports",
    "1115-feel-date-function": "date() on extended years and FEEL's error rules for malformed calls",
}


def _run_case(folder: Path) -> tuple[int, int, list[str]]:
    model_file = folder / f"{folder.name}.dmn"
    model = parse_dmn(model_file.read_bytes(), source=model_file.name)
    passed, total, failures = 0, 0, []
    for test_file in sorted(folder.glob("*-test-*.xml")):
        for case in read_tests(test_file):
            for node in case.results:
                total += 1
                try:
                    actual = model.evaluate(node.name, case.inputs).value
                except DecisionError as exc:
                    actual, error = None, exc
                else:
                    error = None
                ok = (actual is None) if node.error else (error is None and matches(node.expected, actual))
                passed += ok
                if not ok:
                    failures.append(f"{case.case_id}/{node.name}: expected {node.expected!r}, got "
                                    f"{error or repr(actual)}")
    return passed, total, failures


def _check(folder: Path) -> None:
    reason = UNSUPPORTED.get(folder.name)
    try:
        passed, total, failures = _run_case(folder)
    except (DecisionParseError, DecisionError) as exc:
        total = sum(len(c.results) for f in folder.glob("*-test-*.xml") for c in read_tests(f))
        print(f"TCK {folder.name}: 0/{total} passed (model refused: {exc})")
        if reason:
            pytest.xfail(f"{reason} ({exc})")
        raise
    print(f"TCK {folder.name}: {passed}/{total} passed")
    if failures and reason:
        pytest.xfail(f"{reason}: {passed}/{total} passed")
    assert not failures, "\n".join(failures)
    assert total > 0


@pytest.mark.parametrize("folder", tck_cases(2), ids=lambda p: p.name)
def test_tck_compliance_level_2(folder: Path) -> None:
    assert folder.name not in UNSUPPORTED
    _check(folder)


@pytest.mark.parametrize("folder", tck_cases(3), ids=lambda p: p.name)
def test_tck_compliance_level_3(folder: Path) -> None:
    _check(folder)
