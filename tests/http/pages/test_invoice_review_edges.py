"""The invoice review is one operation on every edge: the task page, the invoice page, GET /api/v1/tasks/{id}
and GET /api/v1/invoices/{id} show the same lines, accounts and reasons; another environment's invoice is
not found; amounts follow the reader's language with the invoice's own currency."""
from __future__ import annotations

import re

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from server.invoices.models import Invoice
from server.tasks.models import HumanTask
from tests.e2e.site import Site, csrf

SAMPLE = next(p for p in demo_invoice_paths() if p.name == "preferred_bank_differs.xml")


def routed(site: Site) -> tuple[int, int]:
    """A NOK copy of the demo invoice paid to Pieters' second account: (task id, invoice id)."""
    xml = SAMPLE.read_text("utf-8").replace('currencyID="EUR"', 'currencyID="NOK"').replace(">EUR<", ">NOK<")
    number = xml.split("<cbc:ID>", 1)[1].split("</cbc:ID>", 1)[0]
    xml = xml.replace(f"<cbc:ID>{number}</cbc:ID>", f"<cbc:ID>{number}-REVIEW</cbc:ID>", 1)
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=xml.encode(), source="web")
    with site.host.db.unit_of_work() as session:
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == result.instance_id)).one()
        invoice_id = session.scalars(select(Invoice.id).where(Invoice.instance_id == result.instance_id)).one()
    return task_id, invoice_id


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1]).split())


def test_every_edge_shows_the_same_review_and_the_pages_word_it(site: Site) -> None:
    task_id, invoice_id = routed(site)
    client = site.client("carla")
    from_task = client.get(f"/api/v1/tasks/{task_id}").get_json()["review"]
    from_invoice = client.get(f"/api/v1/invoices/{invoice_id}").get_json()["review"]
    assert from_task == from_invoice
    assert from_task["currency"] == "NOK" and from_task["bank"]["differs"] is True
    assert from_task["bank"]["invoice_ibans"] == ["NL16BUNQ2034567890"]
    assert from_task["bank"]["preferred_iban"] == "NL02ABNA0123456789"
    assert [w["annotation"] for w in from_task["why"]] == ["Preferred bank account differs"]
    assert from_task["pdf_problem"] == "no_attachment" and from_task["asked"][0]["groups"] == ["creditors"]
    for url in (f"/tasks/{task_id}", f"/invoices/{invoice_id}"):
        page = text(client.get(url).text)
        assert "NL16BUNQ2034567890" in page and "NL02ABNA0123456789" in page
        assert "Why this came to you Preferred bank account differs" in page
        assert "The invoice has no attached document to show." in page
        assert re.search(r"NOK\s[\d,]+\.\d\d", page) and "EUR" not in page
    listing = client.get("/tasks").text
    client.post("/language", data={"lang": "nl", "csrf_token": csrf(listing), "next": "/tasks"})
    page = text(client.get(f"/invoices/{invoice_id}").text)
    # The web test model ships no Dutch catalogue (server.wording), so its rule reads as the designer wrote it.
    assert "Waarom u deze factuur krijgt Preferred bank account differs" in page
    assert re.search(r"NOK\s[\d.]+,\d\d", page), page
    assert client.get("/invoices/999999").status_code == 404
    assert client.get("/api/v1/invoices/999999").status_code == 404
