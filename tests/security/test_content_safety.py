"""What a sender puts in an invoice never runs in a user's browser: fields escaped, attachments downloaded."""
from __future__ import annotations

import re

from sqlalchemy import select

from server.tasks.models import HumanTask
from tests.security.conftest import ATTACHMENT_HTML, SCRIPT, Hostile

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _task_id(hostile: Hostile) -> int:
    with hostile.site.host.db.unit_of_work() as session:
        return session.scalars(select(HumanTask.id).where(HumanTask.instance_id == hostile.instance_id)).first()


def test_a_script_supplier_name_is_shown_escaped_on_every_page(hostile: Hostile):
    task_id = _task_id(hostile)
    assert task_id, "the hostile invoice should wait for a person"
    pages = ["/tasks", "/tasks?state=all", f"/tasks/{task_id}", "/inbox", "/instances",
             f"/instances/{hostile.instance_id}", "/audit", f"/audit?instance={hostile.instance_id}"]
    shown = 0
    for login in ("admin", "carla"):
        client = hostile.site.client(login)
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:
                continue
            assert SCRIPT not in response.text, (login, url)
            assert "<script>alert" not in response.text.replace(" ", ""), (login, url)
            shown += ESCAPED in response.text or "&#34;&lt;script" in response.text
    assert shown >= 3  # the name is on the pages, escaped, not just absent


def test_the_task_api_returns_the_name_as_data_not_markup(hostile: Hostile):
    client = hostile.site.client("admin")
    body = client.get(f"/api/v1/tasks/{_task_id(hostile)}").get_json()
    assert body["supplier_name"] == SCRIPT  # JSON is data; the pages escape it when they show it


def _attachment_responses(hostile: Hostile):
    client = hostile.site.client("admin")
    yield client.get(f"/api/v1/invoices/{hostile.invoice_id}/attachments/1")
    yield client.get(f"/tasks/{_task_id(hostile)}/attachments/1")


def test_an_html_attachment_is_served_as_a_download_never_inline(hostile: Hostile):
    for response in _attachment_responses(hostile):
        assert response.status_code == 200
        assert response.data == ATTACHMENT_HTML
        assert response.mimetype == "application/octet-stream"  # text/html is not on the allowed list
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment;"), disposition
        assert "\r" not in disposition and "\n" not in disposition
        name = re.search(r'filename="([^"]*)"', disposition)
        assert name and re.fullmatch(r"[\w.-]+", name.group(1)), disposition
        assert "X-Injected" not in response.headers


def test_the_raw_document_is_a_download_too(hostile: Hostile):
    response = hostile.site.client("admin").get(f"/api/v1/documents/{hostile.document_id}/content")
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
