"""A refused import as an API client and a Dutch administrator read it: every problem carries its code and
values beside the English message, the summary counts refused rows (a row with two problems once) and
lists each row's problems under its line, and the page says them in Dutch, including an import stored
before the codes existed (its English messages are shown as they were)."""
from __future__ import annotations

import io
from typing import Any

from server.app import create_app
from server.jobs.worker import Worker
from server.masterdata.models import MasterDataImport
from tests.e2e.site import csrf
from tests.support.factories import bearer, make_user

# Line 3 has two problems (no name, a bad country), line 4 one (the code of line 2 again).
BAD = "code;name;country\nS1;Jansen B.V.;NL\nS2;;Nederland\nS1;Pieters;NL\n"


def problems_of(summary: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(p["line"], p["field"], p["code"], p["values"], p["message"]) for p in summary["refused"]]


def test_the_status_answer_names_code_values_and_message_and_counts_refused_rows(host):
    _, token = make_user(host, "ada", roles=("admin",))
    client = create_app(host=host).test_client()
    queued = client.post("/api/v1/masterdata/imports?kind=suppliers", data=BAD.encode(), headers=bearer(token),
                         content_type="text/csv")
    Worker(host).run_once()
    summary = client.get(queued.headers["Location"], headers=bearer(token)).get_json()
    assert (summary["status"], summary["refused_count"], summary["created"]) == ("refused", 2, 0)
    assert problems_of(summary) == [
        (3, "name", "missing_field", {}, "is required"),
        (3, "country", "bad_country", {"value": "Nederland"}, "must be a two-letter ISO 3166 code"),
        (4, "code", "duplicate_key", {"key": "S1", "first_line": 2}, "repeats S1 of line 2")]
    assert [(row["line"], [p["code"] for p in row["problems"]]) for row in summary["refused_rows"]] == [
        (3, ["missing_field", "bad_country"]), (4, ["duplicate_key"])]


def test_the_waiting_import_refuses_with_the_row_count_and_coded_details(host):
    _, token = make_user(host, "ada", roles=("admin",))
    client = create_app(host=host).test_client()
    answer = client.post("/api/v1/masterdata/suppliers/import", data=BAD.encode(), headers=bearer(token),
                         content_type="text/csv")
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["code"] == "import_failed" and error["message"].startswith("2 row(s) refused")
    assert [(d["line"], d["code"], d["message"]) for d in error["details"]][1] == \
        (3, "bad_country", "must be a two-letter ISO 3166 code")


def dutch_admin(host: Any) -> tuple[Any, int]:
    """A test client logged in as a Dutch administrator, and their environment."""
    admin, _ = make_user(host, "ada", roles=("admin",), language="nl")
    client = create_app(host=host).test_client()
    client.post("/login", data={"login": "ada", "password": "pw-ada-long-enough", "csrf_token": csrf(client.get("/login").text)})
    return client, admin.environment_id


def refused_list(page: str) -> str:
    return page.split('class="errors-list"')[1].split("\n  </ul>")[0]


def test_a_dutch_admin_reads_the_refused_rows_in_dutch(host):
    client, _ = dutch_admin(host)
    form = {"kind": "suppliers", "csrf_token": csrf(client.get("/admin/masterdata").text),
            "file": (io.BytesIO(BAD.encode()), "suppliers.csv")}
    posted = client.post("/admin/masterdata", data=form, content_type="multipart/form-data")
    queued = client.get(posted.headers["Location"]).text
    assert '<span id="md-status" data-text="status" data-status="queued">in de wachtrij</span>' in queued
    assert '"refused": "geweigerd"' in queued  # the words the polling script shows
    Worker(host).run_once()
    page = client.get(posted.headers["Location"]).text
    assert '<span id="md-status" data-text="status" data-status="refused">geweigerd</span>' in page
    assert '<dd id="md-refused">2</dd>' in page
    listed = refused_list(page)
    assert "regel 3" in listed and "regel 4" in listed and "line 3" not in listed
    assert "<code>name</code> is verplicht" in listed
    assert "<code>country</code> moet een ISO 3166-landcode van twee letters zijn" in listed
    assert "<code>code</code> herhaalt S1 van regel 2" in listed
    assert "required" not in listed and "repeats" not in listed


def test_an_import_stored_before_the_codes_still_shows_its_rows(host):
    client, environment_id = dutch_admin(host)
    with host.db.unit_of_work() as session:
        row = MasterDataImport(environment_id=environment_id, kind="suppliers", edge="page", actor_type="user", actor="ada",
                               status="refused", total=3, refused=[
                                   {"line": 3, "field": "name", "message": "is required"},
                                   {"line": 3, "field": "country", "message": "must be a two-letter ISO 3166 code"},
                                   {"line": 4, "field": "code", "message": "repeats the same code as line 2"}])
        session.add(row)
        session.flush()
        import_id = row.id
    page = client.get(f"/admin/masterdata/imports/{import_id}").text
    assert '<dd id="md-refused">2</dd>' in page
    listed = refused_list(page)
    assert "regel 3" in listed and "<code>code</code> repeats the same code as line 2" in listed


def test_a_dutch_admin_reads_where_a_failed_import_stopped(host):
    client, environment_id = dutch_admin(host)
    stopped = {"line": 151, "problems": [{"field": "supplier_code", "code": "unknown_supplier",
                                          "values": {"value": "S149"}, "message": "supplier S149 not found"}]}
    with host.db.unit_of_work() as session:
        row = MasterDataImport(environment_id=environment_id, kind="bank_accounts", edge="cli", actor_type="system",
                               actor="cli:erp", status="failed", total=150, done=100, created=100, refused=[stopped],
                               refused_count=1, error="stopped at line 151: supplier S149 not found")
        session.add(row)
        session.flush()
        import_id = row.id
    page = client.get(f"/admin/masterdata/imports/{import_id}").text
    assert "De import is gestopt bij regel 151; de regels daarvoor zijn geïmporteerd." in page
    assert "stopped at line" not in page and '<span id="md-status" data-text="status" data-status="failed">mislukt</span>' in page
    assert "<code>supplier_code</code> leverancier S149 niet gevonden" in refused_list(page)
