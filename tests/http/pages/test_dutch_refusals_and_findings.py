"""A Dutch approver reads refusals, findings and process names in Dutch: a refused decision names the
field and its problem, a task someone else finished says so, the matching findings on the task and
instance pages and the instance list's process names are the model's Dutch, and the inbox says an
official rule text is English. The API keeps its codes and English messages."""
from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.instances import service as instances
from server.instances.shipped import shipped_models
from server.invoices import service as invoices
from server.invoices.models import Invoice
from server.tasks.models import HumanTask
from tests.e2e.site import Site, build_site, csrf
from tests.support.reasons import is_english_reason


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The shipped purchase_invoice model (with its Dutch catalogues), official e-invoice rules enforced."""
    built = build_site(Path(tmp_path_factory.mktemp("dutch-refusals")), ubl_rules="enforce")
    model = next(m for m in shipped_models() if m.key == "purchase_invoice")
    with built.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, built.host, actor=Actor.system(env_id, "tests"), key=model.key, bpmn=model.bpmn,
                         dmn=model.dmn, forms=model.forms)
    yield built
    built.host.db.dispose()


def in_dutch(site: Site, login: str):
    client = site.client(login)
    client.post("/language", data={"lang": "nl", "csrf_token": csrf(client.get("/tasks").text)})
    return client


def english_reasons(html: str) -> list[str]:
    """Matching reasons on a page as the matcher writes them (English)."""
    plain = re.sub(r"<[^>]+>", "\n", html)
    lines = [line.strip() for chunk in plain.split("\n") for line in chunk.split("; ") if line.strip()]
    return [line for line in lines if is_english_reason(line)]


def findings_of(html: str) -> list[str]:
    """The matching findings a page lists, as the reader sees them."""
    block = html.split('data-testid="findings">', 1)[1].split("</ul>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()).replace("&#39;", "'")
            for item in block.split("<li>")[1:]]


def test_a_dutch_approver_reads_refusals_findings_and_process_names_in_dutch(site: Site) -> None:
    sample = next(p for p in demo_invoice_paths() if p.name == "preferred_bank_differs.xml")
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=sample.read_bytes(),
                             source="web")
    with site.host.db.unit_of_work() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == result.instance_id)).one()
        task_id, instance_id, group = task.id, task.instance_id, (task.candidate_groups or [""])[0]
    login = {"creditors": "carla"}.get(group, "admin")
    client = in_dutch(site, login)

    page = client.get(f"/tasks/{task_id}").text
    assert 'data-testid="findings"' in page and "voorkeursrekening" in page
    assert english_reasons(page) == []
    assert findings_of(page) == ["Leverancier S002 gevonden op id, bankrekening, naam, adres",
                                 "Administratie A01 gevonden op id, naam, plaats",
                                 "De bankrekening op de factuur is niet de voorkeursrekening van leverancier S002"]

    token = csrf(page)
    refused = client.post(f"/tasks/{task_id}/complete",
                          data={"csrf_token": token, "decision": "disapprove", "reason": "x" * 4001})
    assert refused.status_code == 422
    error = re.search(r'role="alert"[^>]*>(.*?)</', refused.text, re.S)
    said = error.group(1) if error else refused.text
    assert "Controleer:" in said and "4000 tekens" in said, said
    assert "must be" not in refused.text and "at most" not in refused.text

    api = site.client(login)  # the API keeps the machine-readable code and the English message
    api_refused = api.post(f"/api/v1/tasks/{task_id}/disapprove", json={"reason": "x" * 4001},
                           headers={"X-CSRF-Token": csrf(api.get("/tasks").text)})
    assert api_refused.status_code == 422
    body = api_refused.get_json()["error"]
    assert body["code"] == "invalid_form_data" and body["details"][0]["problem"] == "too_long"
    assert "at most 4000" in body["message"]

    done = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "decision": "approve"},
                       follow_redirects=True)
    assert done.status_code == 200
    again = client.post(f"/tasks/{task_id}/complete", data={"csrf_token": token, "decision": "approve",
                                                              "next": f"/tasks/{task_id}"}, follow_redirects=True)
    assert f"Deze taak is al afgerond door {login}." in again.text
    assert "is already completed" not in again.text

    listed = client.get("/instances").text
    assert "Inkoopfactuur" in listed and ">purchase_invoice<" not in listed
    shown = client.get(f"/instances/{instance_id}").text
    assert "Bevindingen van de matching" in shown and english_reasons(shown) == []


def test_a_reason_the_upgrade_could_not_read_shows_as_it_was_written(site: Site) -> None:
    sample = next(p for p in demo_invoice_paths() if p.name == "preferred_bank_differs.xml")
    xml = sample.read_text("utf-8").replace("<cbc:ID>", "<cbc:ID>OLD-", 1)
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=xml.encode(), source="web")
    with site.host.db.unit_of_work() as session:
        invoice = session.scalars(select(Invoice).where(Invoice.instance_id == result.instance_id)).one()
        old = "supplier S002 was found in some way an earlier release wrote"
        invoice.collection = {**invoice.collection, "reasons": ["no supplier found", old],
                              "coded_reasons": [{"code": "supplier_not_found", "values": {}, "text": "no supplier found"},
                                                {"code": None, "values": {}, "text": old}]}
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == result.instance_id)).one()
    page = in_dutch(site, "carla").get(f"/tasks/{task_id}").text
    assert findings_of(page) == ["Geen leverancier gevonden in de stamgegevens", old]


def test_the_inbox_says_stroom_s_own_findings_in_dutch_and_marks_official_rule_text_as_english(site: Site) -> None:
    client = in_dutch(site, "admin")
    token = csrf(client.get("/inbox").text)
    broken = client.post("/inbox/upload", data={"csrf_token": token, "document": (io.BytesIO(b"<Invoice"),
                                                                                 "broken.xml")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert "Het document is geen goedgevormde XML." in broken.text
    xml = next(p for p in demo_invoice_paths() if p.name == "auto_approve_exact.xml").read_text("utf-8")
    wrong_total = re.sub(r'(<cbc:PayableAmount currencyID="EUR">)[^<]+', r"\g<1>1.00", xml, count=1)
    wrong_total = wrong_total.replace("<cbc:ID>", "<cbc:ID>X-", 1)
    refused = client.post("/inbox/upload", data={"csrf_token": token, "document": (io.BytesIO(
        wrong_total.encode()), "total.xml")}, content_type="multipart/form-data", follow_redirects=True)
    assert "officiële regeltekst, in het Engels" in refused.text and "BR-CO-16" in refused.text
    inbox = client.get("/inbox").text
    assert "Het document is geen goedgevormde XML." in inbox and "officiële regeltekst, in het Engels" in inbox
