"""`stroom decide FILE.dmn --input JSON` evaluates a table without deploying it."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from server.cli import build
from tests.unit.decisions.builders import table_xml

DMN = Path(__file__).resolve().parents[3] / "dmn"


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(build(), ["decide", *args])
    return result.exit_code, json.loads(result.output)


def test_decide_prints_outputs_matched_rules_and_trace() -> None:
    code, body = run(str(DMN / "invoice_approval.dmn"), "--input", '{"possible_duplicate": true}')
    assert code == 0
    assert body["outputs"]["route_to"] == "creditors" and body["outputs"]["auto_approve"] is False
    assert body["matched_rules"][0]["index"] == 1
    assert body["trace"]["hit_policy"] == "FIRST"


def test_decide_refused_table_is_a_json_error_naming_the_cell(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dmn"
    bad.write_bytes(table_xml([(["[1.."], ['"a"'])], inputs=[("Amount", "amount", "number")],
                              outputs=[("r", "string")]))
    code, body = run(str(bad), "--input", "{}")
    assert code == 1
    assert {k: body["error"][k] for k in ("code", "decision", "rule", "column")} == {
        "code": "decision_invalid", "decision": "d", "rule": 1, "column": "Amount"}


def test_decide_evaluation_error_exits_1(tmp_path: Path) -> None:
    table = tmp_path / "unique.dmn"
    table.write_bytes(table_xml([(["> 1"], ['"a"']), (["> 2"], ['"b"'])], inputs=[("Amount", "amount", "number")],
                                outputs=[("r", "string")]))
    code, body = run(str(table), "--decision", "d", "--input", '{"amount": 5}')
    assert code == 1 and body["error"]["code"] == "decision_failed" and body["error"]["rule"] == 2
    code, body = run(str(table), "--input", "[1]")
    assert code == 1 and body["error"]["code"] == "invalid_input"
