"""The server mails only addresses the environment knows, and never a refused document's own words.

The attacks (main, c673b33): any user starts `conversion_task` with any address and any text, and
the server mails it; anyone who can submit a document puts any address in `X-Sender` and the server
mails that address the refusal, quoting the parser's message (with the document's own text in it).
Mail goes to a real SMTP server on loopback (aiosmtpd).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from server import demo
from server.app import create_app
from server.invoices import refusals
from tests.e2e.site import csrf
from tests.e2e_flows.conftest import DemoTemplate, demo_template, open_demo_copy, quick_set_up
from tests.e2e_flows.site import Site, site_on
from tests.integration.mail.conftest import SmtpServer

ATTACKER = "victim@elsewhere.example"
PHISH = "Pay_now_at_evil.example"
__all__ = ["demo_template"]  # the session fixture of the template flows, shared here


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def site(demo_template: DemoTemplate, tmp_path, monkeypatch, smtp) -> Iterator[Site]:
    quick_set_up(monkeypatch)
    host = open_demo_copy(demo_template, tmp_path, smtp_url=f"smtp://127.0.0.1:{smtp.port}")
    yield site_on(host, demo_template.tokens)
    host.db.dispose()


def mailed(site: Site, smtp: SmtpServer) -> list[tuple[list[str], str, str]]:
    """(recipients, subject, text and HTML bodies) of everything delivered so far."""
    site.deliver()
    out = []
    for received in smtp.inbox.messages:
        bodies = [part.get_content() for part in received.message.walk() if part.get_content_maintype() == "text"]
        out.append((received.recipients, str(received.message["Subject"]), "\n".join(bodies)))
    return out


def submit(site: Site, content: bytes, *, sender: str | None, filename: str = "scan.xml") -> dict:
    headers = {**site.auth("scanner"), "X-Filename": filename, **({"X-Sender": sender} if sender else {})}
    response = site.client.post("/api/v1/invoices", data=content, headers=headers, content_type="application/xml")
    assert response.status_code == 422, response.get_json()
    return response.get_json()


# -- system-start-only templates -------------------------------------------------------------------

def test_nobody_starts_the_conversion_task_by_hand_over_the_api(site: Site, smtp: SmtpServer) -> None:
    for login in ("carla", "admin", "designer"):
        response = site.client.post("/api/v1/process-instances", headers=site.auth(login), json={
            "model": "conversion_task", "data": {"sender": ATTACKER, "reasons": ["Your account is locked: evil"]}})
        assert response.status_code == 403, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "system_start_only" and "conversion_task" in error["message"]
    trusted = site.client.post("/api/v1/process-instances", headers=site.auth("carla"),
                               json={"model": "trusted_sender", "data": {"email": ATTACKER}})
    assert trusted.status_code == 403 and trusted.get_json()["error"]["code"] == "system_start_only"
    document = submit(site, b"not xml", sender=None)["document_id"]
    for_document = site.client.post(f"/api/v1/documents/{document}/start", headers=site.auth("carla"),
                                    json={"model": "conversion_task"})
    assert for_document.status_code == 403
    assert mailed(site, smtp) == []


def test_the_inbox_page_refuses_a_hand_start_of_the_conversion_task(site: Site) -> None:
    client = create_app(host=site.host).test_client()
    page = client.get("/login")
    client.post("/login", data={"login": "carla", "password": demo.DEMO_PASSWORD, "environment": "default",
                                "csrf_token": csrf(page.text)})
    inbox = client.get("/inbox")
    assert inbox.status_code == 200
    answer = client.post("/inbox/start", data={"model": "conversion_task", "csrf_token": csrf(inbox.text)})
    assert answer.status_code == 403 and "started by the server only" in answer.text


def test_the_cli_refuses_a_hand_start_of_the_conversion_task(tmp_path: Path) -> None:
    env = {**os.environ, "STROOM_INSTANCE_DIR": str(tmp_path / "instance"), "STROOM_LOG_LEVEL": "WARNING"}
    env.pop("STROOM_DATABASE_URL", None)

    def stroom(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "server", *args], capture_output=True, text=True, env=env,
                              timeout=120, cwd=tmp_path)

    assert stroom("db", "upgrade").returncode == 0
    repo = Path(__file__).resolve().parents[2]
    assert stroom("deploy", str(repo / "bpmn" / "conversion_task.bpmn")).returncode == 0
    started = stroom("start", "conversion_task", "--data", json.dumps({"sender": ATTACKER}))
    assert started.returncode == 1 and started.stdout == ""
    assert "'conversion_task' is started by the server only" in started.stderr


# -- who a refusal is mailed to --------------------------------------------------------------------

def test_a_refusal_to_an_unknown_sender_is_held_in_the_inbox_unmailed(site: Site, smtp: SmtpServer) -> None:
    body = submit(site, b"%PDF-1.7 not an invoice", sender=f"Bank <{ATTACKER}>")
    assert body["instance_id"] is None and body["status"] == "rejected"
    assert mailed(site, smtp) == []
    document = site.client.get(f"/api/v1/documents/{body['document_id']}", headers=site.auth("carla")).get_json()
    held = [r for r in document["reasons"] if r["flag"] == "hold"]
    assert held and held[0]["rule"] == "sender_not_known" and ATTACKER in held[0]["message"]
    listed = site.client.get("/api/v1/documents?status=rejected", headers=site.auth("carla")).get_json()
    assert body["document_id"] in [d["id"] for d in listed["items"]]
    client = create_app(host=site.host).test_client()
    page = client.get("/login")
    client.post("/login", data={"login": "carla", "password": demo.DEMO_PASSWORD, "environment": "default",
                                "csrf_token": csrf(page.text)})
    inbox = client.get("/inbox?status=rejected").text
    # The page says the held refusal in the reader's words (the code stays in the API's reasons).
    assert "is neither a trusted sender" in inbox and ATTACKER in inbox


def test_a_refusal_is_mailed_to_a_suppliers_address_from_master_data(site: Site, smtp: SmtpServer) -> None:
    submit(site, b"%PDF-1.7 not an invoice", sender="De Vries <Debiteuren@DeVries.example>")  # not trusted
    ((recipients, _, text),) = mailed(site, smtp)
    assert recipients == ["debiteuren@devries.example"]
    assert "not_xml: The document is not well-formed XML." in text


def test_a_held_refusal_is_mailed_once_its_sender_is_trusted(site: Site, smtp: SmtpServer) -> None:
    body = submit(site, b"%PDF-1.7 not an invoice", sender=ATTACKER)
    request = site.client.post(f"/api/v1/documents/{body['document_id']}/start", headers=site.auth("carla"),
                               json={"model": "trusted_sender", "motivation": "new supplier"})
    assert request.status_code == 201, request.get_json()
    instance_id = request.get_json()["instance_id"]
    assert site.instance(instance_id)["data"]["email"] == ATTACKER  # the document's address, not a typed one
    task = site.task("admin", instance_id)
    site.act("admin", task["id"], "approve")
    refusals_mailed = [m for m in mailed(site, smtp) if m[0] == [ATTACKER]]
    assert len(refusals_mailed) == 1 and "not_xml" in refusals_mailed[0][2]


# -- what a refusal says ---------------------------------------------------------------------------

def test_a_refusal_quotes_rule_ids_and_official_messages_only(site: Site, smtp: SmtpServer) -> None:
    hostile = f'<{PHISH} xmlns="urn:x"><b>Call +31 600 000 000</b></{PHISH}>'.encode()
    submit(site, hostile, sender="facturen@jansen.example", filename="<b>Invoice</b> http://evil.example.xml")
    ((recipients, subject, text),) = mailed(site, smtp)
    assert recipients == ["facturen@jansen.example"]
    assert "not_ubl: The document is not a UBL 2.1 document." in text
    everything = subject + text
    assert PHISH not in everything and "evil" not in everything and "+31 600" not in everything
    assert "Invoice</b>" not in everything and "&lt;b&gt;" not in everything


def test_official_messages_are_cut_and_own_codes_never_quote_the_document() -> None:
    long = {"rule": "BR-CO-15", "flag": "fatal", "message": "[BR-CO-15] " + "x" * 500}
    (line,) = refusals.mail_reasons([long])
    assert line.startswith("BR-CO-15: [BR-CO-15] xxx") and len(line) <= len("BR-CO-15: ") + refusals.MAX_MESSAGE
    quoted = {"rule": "invalid_value", "flag": "fatal", "message": "cbc:Amount is not a number: 'call 0800-EVIL'"}
    assert refusals.mail_reasons([quoted]) == ["invalid_value: A number or date in the document is not valid."]
    markup = {"rule": "<script>", "flag": "fatal", "message": "x"}
    controls = {"rule": "BR-01", "flag": "fatal", "message": "a\r\nBcc: x@y.example <b>"}
    assert refusals.mail_reasons([markup, controls]) == ["BR-01: a Bcc: x@y.example b"]
    many = [{"rule": f"BR-{n}", "flag": "fatal", "message": "m"} for n in range(30)]
    assert refusals.mail_reasons(many)[-1] == "... and 10 more"
