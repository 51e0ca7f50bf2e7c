"""Every master-data change is audited per record, before and after, whichever edge imported it.

The classic invoice-fraud step is a supplier's bank account swapped for the fraudster's: the entry
must name the supplier, the old and the new IBAN, who did it and through which edge. On main the API
logged only the counts and the admin page and `stroom masterdata import` logged nothing.
"""
from __future__ import annotations

import getpass
import io
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.app import create_app
from server.audit import details
from server.audit.models import AuditDetail, AuditEvent
from server.audit.verify import verify
from server.auth import service as auth
from server.cli import build
from server.jobs.worker import Worker
from tests.e2e.site import csrf
from tests.support.factories import bearer, make_user

OLD_IBAN, NEW_IBAN = "NL91ABNA0417164300", "NL44RABO0123456789"
STEPS = [  # (kind, CSV): each step through the same edge
    ("suppliers", "code;name;city\nS1;Jansen B.V.;Utrecht\nS2;Pieters;Delft\n"),
    ("bank_accounts", f"supplier_code,iban,preferred\nS1,{OLD_IBAN},ja\n"),
    ("bank_accounts", f"supplier_code,iban,preferred\nS1,{OLD_IBAN},ja\n"),  # the same again: nothing
    ("suppliers", "code;name;city\nS1;Jansen B.V.;Utrecht\nS2;Pieters Transport;Delft\n"),  # S1 unchanged
    ("bank_accounts", f"supplier_code,iban,preferred\nS1,{NEW_IBAN},ja\n"),  # the fraud step
]
SUPPLIER = {"address_line1": None, "address_line2": None, "postal_code": None, "country": None, "email": None,
            "language": None, "identifiers": []}


def account(iban: str, preferred: bool) -> dict[str, object]:
    return {"iban": iban, "bic": None, "preferred": preferred}


EXPECTED = [  # (target_type, target_id, before, after)
    ("masterdata.supplier", "S1", None, {"code": "S1", "name": "Jansen B.V.", "city": "Utrecht", **SUPPLIER}),
    ("masterdata.supplier", "S2", None, {"code": "S2", "name": "Pieters", "city": "Delft", **SUPPLIER}),
    ("masterdata.bank_accounts", "S1", {"supplier": "S1", "preferred_iban": None, "accounts": []},
     {"supplier": "S1", "preferred_iban": OLD_IBAN, "accounts": [account(OLD_IBAN, True)]}),
    ("masterdata.supplier", "S2", {"code": "S2", "name": "Pieters", "city": "Delft", **SUPPLIER},
     {"code": "S2", "name": "Pieters Transport", "city": "Delft", **SUPPLIER}),
    ("masterdata.bank_accounts", "S1",
     {"supplier": "S1", "preferred_iban": OLD_IBAN, "accounts": [account(OLD_IBAN, True)]},
     {"supplier": "S1", "preferred_iban": NEW_IBAN, "accounts": [account(NEW_IBAN, True), account(OLD_IBAN, False)]}),
]
COUNTS = [{"created": 2, "updated": 0, "unchanged": 0}, {"created": 1, "updated": 0, "unchanged": 0},
          {"created": 0, "updated": 0, "unchanged": 1}, {"created": 0, "updated": 1, "unchanged": 1},
          {"created": 1, "updated": 0, "unchanged": 0}]


def host_env(session) -> int:
    return auth.get_environment(session, auth.DEFAULT_ENVIRONMENT).id


@pytest.fixture
def importer(host, monkeypatch):
    """import(edge, kind, csv) through the API, the admin page or the CLI, each as its own actor."""
    _, token = make_user(host, "ada", roles=("admin",))
    client = create_app(host=host).test_client()
    page_token = csrf(client.get("/login").text)
    assert client.post("/login", data={"login": "ada", "password": "pw-ada-long-enough", "csrf_token": page_token}
                       ).status_code in (302, 303)
    monkeypatch.setenv("STROOM_DATABASE_URL", host.settings.database_url)
    monkeypatch.setenv("STROOM_INSTANCE_DIR", str(host.settings.instance_dir))
    monkeypatch.setenv("STROOM_SECRET_KEY", "test")

    def run(edge: str, kind: str, body: str) -> None:
        if edge == "api":
            response = client.post(f"/api/v1/masterdata/{kind}/import", data=body.encode(), headers=bearer(token),
                                   content_type="text/csv")
            assert response.status_code == 200, response.get_json()
        elif edge == "page":
            form = {"kind": kind, "csrf_token": csrf(client.get("/admin/masterdata").text),
                    "file": (io.BytesIO(body.encode()), f"{kind}.csv")}
            response = client.post("/admin/masterdata", data=form, content_type="multipart/form-data")
            assert response.status_code in (302, 303), response.text
            Worker(host).run_once()  # the import is a background job: the worker runs it
            summary = client.get(response.headers["Location"])
            assert summary.status_code == 200 and 'id="md-created"' in summary.text, summary.text
        else:
            path = host.settings.instance_dir / f"{kind}.csv"
            path.write_text(body)
            result = CliRunner().invoke(build(), ["masterdata", "import", kind, str(path)])
            assert result.exit_code == 0, result.output
    return run


@pytest.mark.parametrize("edge", ["api", "page", "cli"])
def test_each_changed_record_is_audited_before_and_after_with_who_and_the_edge(host, importer, edge):
    for kind, body in STEPS:
        importer(edge, kind, body)
    with host.db.unit_of_work() as session:
        # A chunk's changed records are the detail rows of one chained batch entry (server/audit/details.py).
        changed = session.execute(select(AuditEvent.actor, AuditDetail.target_type, AuditDetail.target_id,
                                         AuditDetail.detail, AuditEvent.note)
                                  .join(AuditEvent, AuditEvent.target_id == "batch:" + AuditDetail.batch)
                                  .where(AuditEvent.action == "masterdata.changed")
                                  .order_by(AuditEvent.seq, AuditDetail.position)).all()
        history = details.history(session, host_env(session), "masterdata.bank_accounts", "S1")
        assert verify(session, key=host.audit_key).ok
        imported = session.scalars(select(AuditEvent.after).where(AuditEvent.action == "masterdata.imported")
                                   .order_by(AuditEvent.seq)).all()
    who = f"cli:{getpass.getuser()}" if edge == "cli" else "ada"
    assert {(actor, note) for actor, *_, note in changed} == {(who, f"import via {edge}")}
    assert [(kind, key, *json.loads(detail).values()) for _, kind, key, detail, _ in changed] == EXPECTED
    assert [(h["actor"], h["before"]["preferred_iban"], h["after"]["preferred_iban"]) for h in history] == [
        (who, None, OLD_IBAN), (who, OLD_IBAN, NEW_IBAN)]  # the fraud step, queryable by supplier
    assert [{k: v for k, v in counts.items() if k in COUNTS[0]} for counts in imported] == COUNTS
    assert {counts["edge"] for counts in imported} == {edge}


def test_a_failed_import_changes_nothing_and_audits_nothing(host, importer):
    importer("api", *STEPS[0])
    with host.db.unit_of_work() as session:
        before = session.scalars(select(AuditEvent.id)).all()
    client_body = f"supplier_code,iban,preferred\nS1,{NEW_IBAN},ja\nS9,{OLD_IBAN},ja\n"
    with pytest.raises(AssertionError):
        importer("api", "bank_accounts", client_body)  # S9 does not exist: 422, nothing imported
    with host.db.unit_of_work() as session:
        assert session.scalars(select(AuditEvent.id)).all() == before
