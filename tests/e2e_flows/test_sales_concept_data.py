"""The concept sales invoice: the data its model documents is the data its forms read, so a concept started
as documented shows every field on the review task and is recorded as sent with them."""
from __future__ import annotations

import json
import re

from lxml import etree

from tests.e2e_flows.site import Site
from tests.support.paths import REPO

BPMN = REPO / "bpmn" / "sales_invoice_concept.bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
VALUES = {"invoice_number": "V-2026-007", "customer_name": "Bakkerij Bol B.V.", "payable_amount": "980.00",
          "currency": "EUR"}


def documented_keys() -> list[str]:
    """The start data the model's documentation names."""
    text = etree.parse(str(BPMN)).findtext("bpmn:process/bpmn:documentation", namespaces=NS)
    found = re.search(r"start data: ([a-z_, ]+)", text or "")
    assert found, text
    return [key.strip() for key in found.group(1).split(",")]


def shown_keys(form: str) -> list[str]:
    """The keys of the invoice fields a form shows (not the reviewer's own inputs)."""
    components = json.loads((REPO / "bpmn" / "forms" / f"{form}.json").read_text())["components"]
    return [c["key"] for c in components if c.get("key") in VALUES or c.get("key", "").startswith("sales_invoice")]


def test_the_documented_start_data_is_what_the_forms_read() -> None:
    assert documented_keys() == list(VALUES)
    assert shown_keys("sales_invoice_review") == shown_keys("sales_invoice_rework") == list(VALUES)


def test_a_concept_started_as_documented_shows_its_fields_and_is_sent_with_them(site: Site) -> None:
    instance_id = site.start("erik", "sales_invoice_concept", {key: VALUES[key] for key in documented_keys()})
    task = site.task("frank", instance_id)
    detail = site.client.get(f"/api/v1/tasks/{task['id']}", headers=site.auth("frank")).get_json()
    fields = [c for c in detail["form"]["schema"]["components"] if c.get("readonly") and c["key"] in VALUES]
    assert {c["key"]: detail["data"].get(c["key"]) for c in fields} == VALUES
    site.act("frank", task["id"], "complete", {"data": {"decision": "approve"}})
    sent = next(e for e in site.history(instance_id) if e["action"] == "sales_invoice.sent")
    assert sent["after"] | {"approved_by": None} == {"number": "V-2026-007", "customer": "Bakkerij Bol B.V.",
                                                     "amount": "980.00", "currency": "EUR", "approved_by": None}
