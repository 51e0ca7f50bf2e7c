"""Read DMN TCK test files (namespace .../20160719/testcase) into typed inputs and expected results."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from tests.support.paths import CORPUS

TC = "http://www.omg.org/spec/DMN/20160719/testcase"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TCK = CORPUS / "dmn" / "tck"


@dataclass(frozen=True)
class ResultNode:
    name: str
    expected: Any
    error: bool
    kind: str


@dataclass(frozen=True)
class TestCase:
    case_id: str
    kind: str
    invocable: str | None
    inputs: dict[str, Any]
    results: tuple[ResultNode, ...]


def tck_cases(level: int) -> list[Path]:
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
        return ("double", Decimal(text.strip())) if kind in ("double", "float") else Decimal(text.strip())
    if kind == "boolean":
        return text.strip() == "true"
    if kind == "date":
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            return ("unsupported", kind, text)  # years beyond 1..9999
    if kind == "string":
        return text
    return ("unsupported", kind, text)


def read_value(el: etree._Element) -> Any:
    """A typed value from an inputNode, expected, component or item element."""
    value = el.find(_tag("value"))
    if value is not None:
        return _scalar(value)
    lst = el.find(_tag("list"))
    if lst is not None:
        return [read_value(item) for item in lst.findall(_tag("item"))]
    components = el.findall(_tag("component"))
    if components:
        return {c.get("name"): read_value(c) for c in components}
    if el.get(f"{{{XSI}}}nil") == "true":
        return None
    return None


def plain(value: Any) -> Any:
    """The input as a caller would pass it: double markers dropped."""
    if isinstance(value, tuple) and value[0] == "double":
        return value[1]
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def read_tests(path: Path) -> list[TestCase]:
    """The test cases of a `*-test-01.xml` file."""
    root = etree.parse(str(path)).getroot()
    cases = []
    for case in root.iter(_tag("testCase")):
        inputs = {n.get("name"): plain(read_value(n)) for n in case.findall(_tag("inputNode"))}
        results = tuple(
            ResultNode(r.get("name", ""), read_value(r.find(_tag("expected")))
                       if r.find(_tag("expected")) is not None else None,
                       r.get("errorResult") == "true", r.get("type", "decision"))
            for r in case.findall(_tag("resultNode")))
        cases.append(TestCase(case.get("id", ""), case.get("type", "decision"), case.get("invocableName"),
                              inputs, results))
    return cases


def matches(expected: Any, actual: Any) -> bool:
    """Expected vs actual: numbers as Decimal (doubles to 1e-12 relative), lists and contexts recursively."""
    if isinstance(expected, tuple) and expected and expected[0] == "double":
        if not isinstance(actual, Decimal):
            return False
        target = expected[1]
        return abs(actual - target) <= abs(target) * Decimal("1e-12") + Decimal("1e-12")
    if isinstance(expected, tuple):
        return False
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and \
            all(matches(e, a) for e, a in zip(expected, actual))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and set(actual) == set(expected) and \
            all(matches(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return type(expected) is type(actual) and expected == actual
