"""An ERP administrator imports 5,000 suppliers and their bank accounts while suppliers keep sending
invoices: every invoice and every health check is answered 2xx during the import (on main a
15,000-row import made them answer 503 after 30 s, "database is locked"). SQLite and PostgreSQL.

The import runs as `stroom masterdata import` in a process of its own, as an operator runs it beside
the server; the invoices go through the API in this process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from server.app import create_app
from tests.support.factories import bearer, deploy_files, make_user
from tests.support.paths import CORPUS, REPO

MODELS = REPO / "tests" / "data" / "bpmn" / "ingestion"
INVOICE = (CORPUS / "ubl" / "valid" / "base-example.xml").read_bytes()
ROWS = 5000


def sync_validator(content, mode, max_bytes):
    """The real validation, in-process (the pool is exercised by the bench and the server)."""
    from server.invoices.validation import validate

    return validate(content, mode=mode, max_bytes=max_bytes)


def iban(n: int, bank: str = "ABNA") -> str:
    account = f"{n:010d}"
    digits = "".join(str(int(ch, 36)) for ch in f"{bank}{account}NL00")
    return f"NL{98 - int(digits) % 97:02d}{bank}{account}"


@pytest.fixture
def api(host, monkeypatch):
    actor, token = make_user(host, "sender", roles=("user",), groups=("creditors",))
    deploy_files(host, actor, "purchase_invoice", MODELS / "purchase_invoice.bpmn")
    deploy_files(host, actor, "conversion_task", MODELS / "conversion_task.bpmn")
    monkeypatch.setattr("server.invoices.service.default_validator", sync_validator)
    return create_app(host=host).test_client(), bearer(token)


def import_in_background(host, tmp_path) -> subprocess.Popen[str]:
    suppliers = tmp_path / "suppliers.csv"
    suppliers.write_text("code;name;city;kvk\n" + "".join(f"S{n:05d};Leverancier {n} B.V.;Utrecht;{10000000 + n}\n"
                                                          for n in range(ROWS)))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("supplier_code,iban,preferred\n" + "".join(f"S{n:05d},{iban(n)},ja\n" for n in range(ROWS)))
    env = {**os.environ, "STROOM_DATABASE_URL": host.settings.database_url,
           "STROOM_INSTANCE_DIR": str(host.settings.instance_dir), "STROOM_SECRET_KEY": host.settings.secret_key}
    script = (f"{sys.executable} -m server masterdata import suppliers {suppliers} && "
              f"{sys.executable} -m server masterdata import bank_accounts {accounts}")
    return subprocess.Popen(["sh", "-c", script], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_invoices_and_health_checks_are_answered_during_a_big_import(api, host, tmp_path):
    client, auth = api
    warm = client.post("/api/v1/invoices", data=INVOICE, headers=auth, content_type="application/xml")
    assert warm.status_code == 201  # the validator's first run compiles its rules: not the import's doing
    answers: list[tuple[str, int, float]] = []
    importing = import_in_background(host, tmp_path)

    def health() -> None:
        while importing.poll() is None:
            started = time.perf_counter()
            status = client.get("/healthz").status_code
            answers.append(("healthz", status, time.perf_counter() - started))
            time.sleep(0.05)

    checker = threading.Thread(target=health)
    checker.start()
    sent = 0
    while importing.poll() is None:
        sent += 1
        body = INVOICE.replace(b"Snippet1", f"BULK-{sent}".encode())
        started = time.perf_counter()
        response = client.post("/api/v1/invoices", data=body, headers=auth, content_type="application/xml")
        answers.append(("invoice", response.status_code, time.perf_counter() - started))
        time.sleep(0.05)  # a steady stream, not a flood: two shared cores also run the import
    checker.join()
    out, err = importing.communicate()
    summaries = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert importing.returncode == 0, err
    assert [(s["kind"], s["status"], s["created"]) for s in summaries] == [
        ("suppliers", "done", ROWS), ("bank_accounts", "done", ROWS)]
    invoices = [a for a in answers if a[0] == "invoice"]
    assert len(invoices) >= 3 and len(answers) > len(invoices)
    assert {status for _, status, _ in answers} <= {200, 201}, [a for a in answers if a[1] >= 300][:5]
    slowest = sorted(seconds for _, _, seconds in invoices)
    p95 = slowest[int(0.95 * (len(slowest) - 1))]
    print(f"{host.db.engine.dialect.name}: {len(invoices)} invoices during the import, p95 {p95 * 1000:.0f} ms, "
          f"max {slowest[-1] * 1000:.0f} ms; import {[s['rate'] for s in summaries]} rows/s")
    assert p95 < 5.0  # the 1 s goal is measured by bench/masterdata_import.py; this guards against lock waits
