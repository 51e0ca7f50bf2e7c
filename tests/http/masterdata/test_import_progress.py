"""A background import as the admin page and an API client follow it: queued (202 with a status URL),
then progress and, once the worker ran it, the summary with the refused rows and their lines."""
from __future__ import annotations

import io

from server.app import create_app
from server.jobs.worker import Worker
from tests.e2e.site import csrf
from tests.support.factories import bearer, make_user

SUPPLIERS = "code;name\nS1;Jansen B.V.\nS2;Ørsted A/S\nS3;Ελληνικά Τρόφιμα\n"


def test_an_api_client_queues_an_import_and_polls_it_to_its_summary(host):
    _, token = make_user(host, "ada", roles=("admin",))
    _, other_token = make_user(host, "otto", roles=("user",))
    client = create_app(host=host).test_client()
    queued = client.post("/api/v1/masterdata/imports?kind=suppliers", data=SUPPLIERS.encode(),
                         headers=bearer(token), content_type="text/csv")
    assert queued.status_code == 202, queued.get_json()
    url = queued.headers["Location"]
    assert url == queued.get_json()["status_url"] == f"/api/v1/masterdata/imports/{queued.get_json()['id']}"
    before = client.get(url, headers=bearer(token)).get_json()
    assert (before["status"], before["ended"], before["total"], before["done"]) == ("queued", False, 3, 0)
    assert Worker(host).run_once() == 1
    after = client.get(url, headers=bearer(other_token)).get_json()  # readers may follow it too
    assert (after["status"], after["ended"], after["done"], after["total"]) == ("done", True, 3, 3)
    assert (after["created"], after["updated"], after["unchanged"], after["refused"]) == (3, 0, 0, [])
    assert client.post("/api/v1/masterdata/imports?kind=suppliers", data=b"code\n",
                       headers=bearer(other_token)).status_code == 403
    assert client.get("/api/v1/masterdata/imports/999", headers=bearer(token)).status_code == 404


def test_json_rows_queue_and_refused_rows_come_back_with_their_lines(host):
    _, token = make_user(host, "ada", roles=("admin",))
    client = create_app(host=host).test_client()
    queued = client.post("/api/v1/masterdata/imports", headers=bearer(token), json={
        "kind": "bank_accounts", "rows": [{"supplier_code": "S9", "iban": "NL91ABNA0417164300"},
                                          {"supplier_code": "S9", "iban": "NL00XXXX"}]})
    assert queued.status_code == 202, queued.get_json()
    Worker(host).run_once()
    summary = client.get(queued.headers["Location"], headers=bearer(token)).get_json()
    assert summary["status"] == "refused" and summary["created"] == 0
    assert [(r["line"], r["field"]) for r in summary["refused"]] == [(2, "supplier_code"), (3, "iban")]


def test_the_admin_page_shows_a_progress_bar_then_the_summary(host):
    make_user(host, "ada", roles=("admin",))
    client = create_app(host=host).test_client()
    token = csrf(client.get("/login").text)
    client.post("/login", data={"login": "ada", "password": "pw-ada-long-enough", "csrf_token": token})
    form = {"kind": "suppliers", "csrf_token": csrf(client.get("/admin/masterdata").text),
            "file": (io.BytesIO(SUPPLIERS.encode()), "suppliers.csv")}
    posted = client.post("/admin/masterdata", data=form, content_type="multipart/form-data")
    assert posted.status_code in (302, 303)
    running = client.get(posted.headers["Location"]).text
    assert '<progress id="md-progress"' in running and 'data-ended="false"' in running
    assert "/api/v1/masterdata/imports/" in running and "progress.js" in running
    status = client.get(running.split('data-status-url="')[1].split('"')[0])  # what the script polls
    assert status.status_code == 200 and status.get_json()["status"] == "queued"
    Worker(host).run_once()
    done = client.get(posted.headers["Location"]).text
    assert 'data-ended="true"' in done and '<dd id="md-created">3</dd>' in done
