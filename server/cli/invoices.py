"""`stroom validate FILE...`: the standard UBL check without storing or starting anything."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from server.cli import echo_json
from server.invoices.rulesets import Finding
from server.invoices.validation import MODES, ValidationReport, validate
from server.settings import load_settings


def _finding(finding: Finding) -> dict[str, str]:
    return {"rule": finding.rule, "xpath": finding.xpath, "message": finding.message}


def report_line(file: str, report: ValidationReport) -> dict[str, Any]:
    """The JSON object `stroom validate` prints for one file."""
    return {
        "file": file,
        "accepted": report.accepted,
        "document_type": report.document_type,
        "profile": report.profile,
        "errors": [_finding(f) for f in report.errors],
        "warnings": [_finding(f) for f in report.warnings],
    }


@click.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mode", type=click.Choice(MODES), default=None, help="Override STROOM_UBL_RULES.")
def validate_command(files: tuple[Path, ...], mode: str | None) -> None:
    """Check UBL documents (schema and official rules); one JSON line per file, exit 1 if any is refused."""
    # Validation needs no secret key; a placeholder keeps load_settings from writing instance/secret_key.
    settings = load_settings({"STROOM_SECRET_KEY": "not-used-by-validate", **os.environ})
    all_accepted = True
    limit = settings.max_document_bytes
    for path in files:
        with path.open("rb") as fh:
            data = fh.read(limit + 1)  # one byte past the limit is enough to refuse a huge file
        report = validate(data, mode=mode or settings.ubl_rules, max_bytes=limit)
        all_accepted &= report.accepted
        echo_json(report_line(str(path), report))
    sys.exit(0 if all_accepted else 1)


def register(group: click.Group) -> None:
    """Add the invoice commands to the `stroom` group."""
    group.add_command(validate_command)
