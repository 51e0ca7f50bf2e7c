"""The Python scripts and conditions of the shared corpus's models compile and run in the sandbox."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from server.sandbox import check_python, evaluate_python, run_python_script

pytestmark = pytest.mark.usefixtures("sandbox")

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
# the data each corpus script and condition reads, as the models' earlier steps would leave it
DATA = {"v": 0, "u": 1, "w": 2, "x": 1, "work_done": "Yes", "interrupt_task": "No", "answer": "Yes",
        "NeedClarification": "No", "error": False}


def texts(corpus: Path, tag: str) -> list[tuple[str, str]]:
    found = []
    for path in sorted((corpus / "bpmn" / "spiff").rglob("*.bpmn")):  # the Python-scripted ones
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
        for node in tree.iter(BPMN + tag):
            text = (node.text or "").strip()
            language = node.get("language", "python").lower()
            # JUEL (${...}) and XPath are not Python: FEEL's business, or refused at deploy
            if text and not text.startswith("${") and "python" in language:
                found.append((path.name, text))
    return found


def test_every_corpus_script_compiles_and_runs(corpus: Path) -> None:
    scripts = texts(corpus, "script")
    assert len(scripts) >= 7
    for name, source in scripts:
        check_python(source, mode="exec")
        result = run_python_script(source, DATA)
        assert set(DATA) <= set(result), (name, source)
    assert run_python_script("v += 1", {"v": 0})["v"] == 1
    assert run_python_script("futuredate = (datetime.now() + timedelta(seconds=0.05)).isoformat()",
                             {})["futuredate"][:2] == "20"


def test_every_corpus_condition_compiles_and_evaluates_to_a_truth_value(corpus: Path) -> None:
    conditions = texts(corpus, "conditionExpression")
    assert len(conditions) >= 10
    for name, source in conditions:
        check_python(source, mode="eval")
        assert isinstance(evaluate_python(source, DATA), bool), (name, source)
