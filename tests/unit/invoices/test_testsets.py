"""Rule-by-rule unit tests from the official VEFA testSets: each <test> says a rule must fire or not."""
from __future__ import annotations

import copy
from typing import NamedTuple

import pytest
from lxml import etree

from server.invoices.rulesets import RulesetError, run_rulesets
from server.invoices.safexml import safe_parse
from tests.unit.invoices.conftest import UBL_CORPUS

pytestmark = pytest.mark.usefixtures("rules_compiled")

VEFA = "{http://difi.no/xsd/vefa/validator/1.0}"
# cen-* files test the CEN EN 16931 rules, peppol-* files the Peppol BIS 3 layer.
RULESET_BY_PREFIX = {"cen": "cen", "peppol": "peppol"}


class Case(NamedTuple):
    file: str
    index: int
    ruleset: str
    rule: str
    fires: bool
    document: bytes


def load_cases() -> list[Case]:
    cases = []
    for path in sorted((UBL_CORPUS / "testsets").glob("*.xml")):
        ruleset = RULESET_BY_PREFIX[path.name.split("-", 1)[0]]
        root = safe_parse(path.read_bytes()).getroot()
        for index, test in enumerate(root.iter(f"{VEFA}test")):
            assertion = test.find(f"{VEFA}assert")
            (document,) = [c for c in test if isinstance(c.tag, str) and not c.tag.startswith(VEFA)]
            (expectation,) = [c for c in assertion if c.tag in (f"{VEFA}success", f"{VEFA}error")]
            standalone = etree.tostring(copy.deepcopy(document))
            fires = expectation.tag == f"{VEFA}error"
            cases.append(Case(path.name, index, ruleset, expectation.text.strip(), fires, standalone))
    return cases


CASES = load_cases()


def test_every_testset_file_contributed_cases():
    assert {c.file for c in CASES} == {p.name for p in (UBL_CORPUS / "testsets").glob("*.xml")}
    assert len(CASES) > 50


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.file}#{c.index}-{'error' if c.fires else 'success'}" for c in CASES]
)
def test_rule_fires_exactly_when_the_testset_says(case):
    # Most cases are fragments that fail the UBL schema on purpose: only the stylesheet is run.
    result = run_rulesets(safe_parse(case.document), [case.ruleset])[case.ruleset]
    assert not isinstance(result, RulesetError), result
    fired = {f.rule for f in result}
    assert (case.rule in fired) == case.fires, sorted(fired)
