"""PostgreSQL stopped and started under a running app: clean 503s meanwhile, recovery without a restart.

This stops the machine's shared PostgreSQL cluster, so it runs only with STROOM_FAULT_TESTS=1
(`make faults`), never inside `make test` where other tests use the same server.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from server.demo_data import demo_invoice_paths
from tests.e2e.site import build_site
from tests.faults.support import assert_consistent
from tests.support.databases import PG_ADMIN_URL

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(os.environ.get("STROOM_FAULT_TESTS") != "1",
                       reason="stops the shared PostgreSQL server: run with `make faults`"),
]
API = {"X-Requested-With": "fetch"}


def cluster(action: str) -> None:
    version = max(os.listdir("/etc/postgresql"))
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True,
                   capture_output=True, timeout=60)


def wait_until_up(timeout: float = 60) -> None:
    engine = create_engine(PG_ADMIN_URL)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return
            except Exception:  # noqa: BLE001 - not up yet
                assert time.monotonic() < deadline, "PostgreSQL did not come back"
                time.sleep(0.2)
    finally:
        engine.dispose()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_requests_fail_cleanly_while_postgres_is_down_and_succeed_after_without_a_restart(postgres_url, tmp_path):
    site = build_site(Path(tmp_path), database_url=postgres_url, ubl_rules="off")
    invoices = [p.read_bytes() for p in demo_invoice_paths()]
    client = site.client("admin")
    acknowledged = set()
    try:
        for xml in invoices[:2]:
            posted = client.post("/api/v1/invoices", data=xml, content_type="application/xml", headers=API)
            assert posted.status_code == 201, posted.get_json()
            acknowledged.add(posted.get_json()["document_id"])
        cluster("stop")
        try:
            for call in (lambda: client.get("/api/v1/tasks", headers=API),
                         lambda: client.post("/api/v1/invoices", data=invoices[2], content_type="application/xml",
                                             headers=API),
                         lambda: client.get("/tasks")):
                response, seconds = timed(call)
                assert response.status_code in (500, 503), response.status_code
                assert seconds < 15  # no hang
                assert "Traceback" not in response.text and "psycopg" not in response.text
                if response.is_json:
                    assert response.get_json()["error"]["code"] in ("database_unavailable", "internal_error")
            assert client.get("/healthz").status_code == 503
        finally:
            cluster("start")
            wait_until_up()
        # The same app and pool: the ping of idle connections replaces the dead ones.
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/tasks", headers=API).status_code == 200
        posted = client.post("/api/v1/invoices", data=invoices[2], content_type="application/xml", headers=API)
        assert posted.status_code == 201, posted.get_json()
        acknowledged.add(posted.get_json()["document_id"])
        assert client.get("/tasks").status_code == 200
        assert_consistent(site.host, acknowledged=acknowledged)
    finally:
        site.host.db.dispose()
