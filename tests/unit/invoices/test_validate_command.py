"""`stroom validate FILE...` prints one JSON verdict per file and exits 1 if any file is refused."""
from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from server.cli.invoices import register
from tests.unit.invoices.conftest import DATA, UBL_CORPUS

pytestmark = pytest.mark.usefixtures("rules_compiled")


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written next to the files being checked

    def invoke(*args: str, env: dict[str, str] | None = None):
        group = click.Group()
        register(group)
        return CliRunner().invoke(group, ["validate", *args], env=env or {})

    return invoke


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_valid_invoice_is_accepted_with_exit_zero(run, tmp_path):
    result = run(str(UBL_CORPUS / "valid" / "base-example.xml"))
    assert result.exit_code == 0, result.output
    (line,) = lines(result.output)
    assert line == {
        "file": str(UBL_CORPUS / "valid" / "base-example.xml"),
        "accepted": True,
        "document_type": "Invoice",
        "profile": "peppol",
        "errors": [],
        "warnings": [],
    }
    assert list(tmp_path.iterdir()) == []


def test_one_refused_file_makes_the_exit_status_one(run):
    broken = UBL_CORPUS / "invalid" / "SI-UBL-2.0_BR-NL-3_error_no_city.xml"
    result = run(str(UBL_CORPUS / "valid" / "SI-UBL-2.0_ok_base.xml"), str(broken), str(DATA / "not-xml.pdf"))
    assert result.exit_code == 1
    ok, refused, pdf = lines(result.output)
    assert ok["accepted"] and ok["profile"] == "siubl"
    assert not refused["accepted"]
    assert {"rule", "xpath", "message"} == set(refused["errors"][0])
    assert "BR-NL-3" in {e["rule"] for e in refused["errors"]}
    assert pdf["accepted"] is False and pdf["document_type"] is None
    assert [e["rule"] for e in pdf["errors"]] == ["not_xml"]


def test_stroom_ubl_rules_warn_accepts_with_findings(run):
    broken = UBL_CORPUS / "invalid" / "SI-UBL-2.0_BR-NL-3_error_no_city.xml"
    result = run(str(broken), env={"STROOM_UBL_RULES": "warn"})
    assert result.exit_code == 0
    (line,) = lines(result.output)
    assert line["accepted"] and "BR-NL-3" in {e["rule"] for e in line["errors"]}


def test_mode_option_overrides_the_setting(run):
    broken = UBL_CORPUS / "invalid" / "SI-UBL-2.0_BR-NL-3_error_no_city.xml"
    result = run("--mode", "off", str(broken), env={"STROOM_UBL_RULES": "enforce"})
    assert result.exit_code == 0
    assert lines(result.output)[0]["errors"] == []


def test_document_above_the_configured_limit_is_too_large(run):
    result = run(str(UBL_CORPUS / "valid" / "base-example.xml"), env={"STROOM_MAX_DOCUMENT_BYTES": "1000"})
    assert result.exit_code == 1
    assert [e["rule"] for e in lines(result.output)[0]["errors"]] == ["too_large"]
