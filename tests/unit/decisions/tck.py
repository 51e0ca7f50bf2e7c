"""The DMN TCK runner: every testCase of compliance levels 2 and 3, counted as the TCK results site counts.

A testCase passes when every resultNode of it matches; a resultNode with errorResult="true" expects null
or an error. Each model is parsed once. `python -m tests.unit.decisions.tck [-v] [CASE...]` prints the
passed testCases per level and overall (`make tck`); `-v` lists every failing resultNode.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from server.decisions import DecisionError, DecisionParseError, parse_dmn
from server.decisions.temporal import parse_date, parse_datetime, parse_duration, parse_time
from tests.support.paths import CORPUS

TC = "http://www.omg.org/spec/DMN/20160719/testcase"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TCK = CORPUS / "dmn" / "tck-full"
LEVELS = (2, 3)
FLOOR_FILE = Path(__file__).with_name("tck_floor.txt")
_TYPED = {"date": parse_date, "dateTime": parse_datetime, "time": parse_time, "duration": parse_duration}


@dataclass(frozen=True)
class ResultNode:
    name: str
    expected: Any
    error: bool


@dataclass(frozen=True)
class TestCase:
    case_id: str
    kind: str
    invocable: str | None
    inputs: dict[str, Any]
    results: tuple[ResultNode, ...]


@dataclass
class Report:
    """Passed and total testCases per level, and what failed (case folder, testCase id, reason)."""

    passed: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    total: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    failures: list[tuple[int, str, str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def overall(self) -> int:
        return sum(self.passed.values())

    def summary(self) -> str:
        lines = [f"level {level}: {self.passed[level]}/{self.total[level]} testCases passed" for level in LEVELS]
        total = sum(self.total.values())
        lines.append(f"overall: {self.overall}/{total} ({100 * self.overall / max(total, 1):.1f} %) "
                     f"in {self.seconds:.1f} s")
        return "\n".join(lines)


def case_folders(level: int) -> list[Path]:
    """The case folders of one compliance level; fails loudly when the corpus is missing."""
    folder = TCK / f"compliance-level-{level}"
    if not folder.is_dir():
        raise FileNotFoundError(f"DMN TCK corpus not found at {folder}")
    return sorted(p for p in folder.iterdir() if p.is_dir())


def _tag(name: str) -> str:
    return f"{{{TC}}}{name}"


def _scalar(el: etree._Element) -> Any:
    if el.get(f"{{{XSI}}}nil") == "true":
        return None
    kind = (el.get(f"{{{XSI}}}type") or "xsd:string").split(":")[-1]
    text = el.text or ""
    if kind in ("decimal", "integer", "int", "long", "double", "float"):
        return Decimal(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind in _TYPED:
        value = _TYPED[kind](text.strip())
        return value if value is not None else ("unsupported", kind, text)
    return text


def read_value(el: etree._Element | None) -> Any:
    """A typed value from an inputNode, expected, component or item element."""
    if el is None:
        return None
    value = el.find(_tag("value"))
    if value is not None:
        return _scalar(value)
    lst = el.find(_tag("list"))
    if lst is not None:
        return [read_value(item) for item in lst.findall(_tag("item"))]
    components = el.findall(_tag("component"))
    if components:
        return {c.get("name"): read_value(c) for c in components}
    return None


def read_tests(path: Path) -> list[TestCase]:
    """The testCases of a `*-test-NN.xml` file."""
    root = etree.parse(str(path)).getroot()
    cases = []
    for case in root.iter(_tag("testCase")):
        inputs = {n.get("name"): read_value(n) for n in case.findall(_tag("inputNode"))}
        results = tuple(ResultNode(r.get("name", ""), read_value(r.find(_tag("expected"))),
                                   r.get("errorResult") == "true") for r in case.findall(_tag("resultNode")))
        cases.append(TestCase(case.get("id", ""), case.get("type", "decision"), case.get("invocableName"),
                              inputs, results))
    return cases


def matches(expected: Any, actual: Any) -> bool:
    """Expected vs actual: numbers by value (to 1e-12 relative: the TCK writes some as doubles), lists in
    order, contexts by key."""
    if isinstance(expected, tuple):
        return False
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, Decimal):
        if type(actual) is not Decimal or not actual.is_finite():
            return False
        if abs(actual - expected) <= abs(expected) * Decimal("1e-12") + Decimal("1e-20"):
            return True
        # Some expected values are written cut to 8 decimals (exp, log, cos): within a unit of the last.
        exponent = expected.as_tuple().exponent
        return isinstance(exponent, int) and exponent <= -8 and abs(actual - expected) < Decimal(1).scaleb(exponent)
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and \
            all(matches(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(actual) == set(expected) and \
            all(matches(v, actual[k]) for k, v in expected.items())
    if type(expected) is not type(actual):
        return False
    try:
        return bool(expected == actual) and str(getattr(expected, "tzinfo", "")) == str(getattr(actual, "tzinfo", ""))
    except TypeError:
        return False


def _load(folder: Path) -> Any:
    main = folder / f"{folder.name}.dmn"
    others = [p.read_bytes() for p in sorted(folder.glob("*.dmn")) if p != main]
    return parse_dmn(main.read_bytes(), source=main.name, lenient=True, imports=others)


def _evaluate(model: Any, case: TestCase) -> Iterator[tuple[ResultNode, Any, Exception | None]]:
    if case.kind == "decisionService":
        try:
            values = model.evaluate_service(case.invocable, case.inputs)
        except (DecisionError, DecisionParseError) as exc:
            values, error = {}, exc
        else:
            error = None
        for node in case.results:
            yield node, values.get(node.name), error
        return
    for node in case.results:
        try:
            yield node, model.evaluate(node.name, case.inputs).value, None
        except (DecisionError, DecisionParseError) as exc:
            yield node, None, exc


def run_case(folder: Path, level: int, report: Report) -> None:
    """Add one case folder's testCases to the report."""
    tests = [t for f in sorted(folder.glob("*-test-*.xml")) for t in read_tests(f)]
    report.total[level] += len(tests)
    try:
        model = _load(folder)
    except Exception as exc:  # noqa: BLE001 - a refused model fails all its testCases, with the reason
        report.failures.extend((level, folder.name, t.case_id, f"model refused: {exc}") for t in tests)
        return
    for test in tests:
        reasons = []
        try:
            for node, actual, error in _evaluate(model, test):
                ok = actual is None if node.error else (error is None and matches(node.expected, actual))
                if not ok:
                    reasons.append(f"{node.name}: expected {node.expected!r}, got {error or repr(actual)}")
        except Exception as exc:  # noqa: BLE001 - an evaluator bug fails the testCase, never the run
            reasons.append(f"crash {type(exc).__name__}: {exc}")
        if reasons:
            report.failures.append((level, folder.name, test.case_id, "; ".join(reasons)))
        else:
            report.passed[level] += 1


def run(only: list[str] | None = None) -> Report:
    """Run every case folder of both levels (or those whose name contains one of `only`)."""
    report, started = Report(), time.perf_counter()
    for level in LEVELS:
        for folder in case_folders(level):
            if not only or any(o in folder.name for o in only):
                run_case(folder, level, report)
    report.seconds = time.perf_counter() - started
    return report


def floor() -> int:
    """The passed-testCase count `make test` must not drop below (raised as the evaluator grows)."""
    return int(FLOOR_FILE.read_text(encoding="utf-8").split()[0])


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    report = run([a for a in argv if a != "-v"] or None)
    if verbose:
        for level, case, test_id, reason in report.failures:
            print(f"FAIL L{level} {case}/{test_id}: {reason[:300]}")
    print(report.summary())
    print(f"floor: {floor()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
