"""`stroom decide FILE.dmn --input JSON`: evaluate a decision from a file without deploying it."""
from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from server.cli import echo_json
from server.decisions.errors import DecisionError, DecisionParseError
from server.decisions.model import parse_dmn


def _error(code: str, message: str, **where: Any) -> None:
    body = {"code": code, "message": message, "decision": where.get("decision"), "rule": where.get("rule"),
            "column": where.get("column")}
    if "text" in where:
        body["text"] = where["text"]
    echo_json({"error": body})
    sys.exit(1)


def _read_inputs(raw: str) -> dict[str, Any]:
    if raw.startswith("@"):
        raw = Path(raw[1:]).read_text(encoding="utf-8")
    try:
        inputs = json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        _error("invalid_input", f"--input is not valid JSON: {exc}")
    if not isinstance(inputs, dict):
        _error("invalid_input", "--input must be a JSON object of input names to values")
    return inputs


@click.command("decide")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--decision", "decision_id", default=None, help="Decision id (default: the only/top decision).")
@click.option("--input", "raw_input", default="{}", show_default=True,
              help='Input values as a JSON object, or @file.json, e.g. \'{"possible_duplicate": true}\'.')
def decide(file: Path, decision_id: str | None, raw_input: str) -> None:
    """Evaluate a DMN decision from FILE and print its outputs, matched rules and trace as JSON."""
    inputs = _read_inputs(raw_input)
    try:
        model = parse_dmn(file.read_bytes(), source=file.name, lenient=True)  # only the decision asked must compile
        result = model.evaluate(decision_id, inputs)
    except DecisionParseError as exc:
        _error(exc.code, str(exc), decision=exc.decision, rule=exc.rule, column=exc.column, text=exc.text)
    except DecisionError as exc:
        _error(exc.code, str(exc), decision=exc.decision, rule=exc.rule, column=exc.column)
    echo_json(result.to_json())


def register(group: click.Group) -> None:
    """Add `stroom decide` to the CLI."""
    group.add_command(decide)
