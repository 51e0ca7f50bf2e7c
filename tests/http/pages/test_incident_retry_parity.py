"""Incidents by cause and 'retry all of a cause' through every edge (JSON API, incidents page, `stroom
incidents`): the same counts, the same outcome (one repaired instance runs on, one fails again) and the same
audit entries, because all three call one operation."""
from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.invoices.models import Invoice
from tests.e2e.site import Site, csrf
from tests.http.pages.test_instance_verbs_parity import (
    EDGES,
    api_view,
    cli,
    failed_instance,
    waiting_instance,
)

__all__ = ["cli"]  # the module fixture, shared with the instance verbs' parity test
FETCH = {"X-Requested-With": "fetch"}


def invoice_of(site: Site, instance_id: int) -> int:
    with site.host.db.unit_of_work() as session:
        return session.scalars(select(Invoice.id).where(Invoice.instance_id == instance_id)).one()


def counts_by_edge(site: Site, cli: Any) -> dict[str, Any]:
    by_api = {c["cause"]: c["count"] for c in site.client("admin").get("/api/v1/incidents/causes").get_json()["items"]}
    code, output = cli("incidents", "causes")
    assert code == 0, output
    by_cli = {c["cause"]: c["count"] for c in json.loads(output)["items"]}
    page = site.client("admin").get("/instances/incidents").text
    by_page = {cause: int(count) for cause, count in re.findall(
        r'data-testid="cause-([a-z_]+)".*?data-testid="cause-count">(\d+)<', page, re.DOTALL)}
    assert by_api == by_cli == by_page, (by_api, by_cli, by_page)
    return by_api


def retry_all(site: Site, cli: Any, edge: str, reason: str) -> dict[str, int]:
    """Retry every open 'no invoice' incident through one edge; what it reported, as counts."""
    if edge == "api":
        response = site.client("admin").post("/api/v1/incidents/retry", headers=FETCH,
                                             json={"cause": "no_invoice", "reason": reason})
        assert response.status_code == 200, response.text
        answer = response.get_json()
        return {k: answer[k] for k in ("retried", "failed_again", "refused")}
    if edge == "page":
        admin = site.client("admin")
        shown = admin.post("/instances/incidents/retry", follow_redirects=True, data={
            "csrf_token": csrf(admin.get("/instances/incidents").text), "cause": "no_invoice", "reason": reason})
        flash = re.search(r"retried (\d+), failed again (\d+), refused (\d+)", shown.text)
        assert flash, shown.text[:2000]
        return dict(zip(("retried", "failed_again", "refused"), map(int, flash.groups())))
    code, output = cli("incidents", "retry", "--cause", "no_invoice", "--reason", reason, "--as", "admin")
    assert code == 0, output
    answer = json.loads(output)
    return {k: answer[k] for k in ("retried", "failed_again", "refused")}


def test_every_edge_counts_and_retries_all_of_a_cause_alike(site: Site, cli: Any) -> None:
    admin = site.client("admin")
    invoice_id = invoice_of(site, waiting_instance(site))
    results = {}
    for edge in EDGES:
        repaired, broken = failed_instance(site), failed_instance(site)
        assert counts_by_edge(site, cli)["no_invoice"] == 2  # the previous edge's were resolved or ended
        fixed = admin.put(f"/api/v1/process-instances/{repaired}/variables", headers=FETCH,
                          json={"variables": {"invoice_id": invoice_id}, "reason": "the invoice it belongs to"})
        assert fixed.status_code == 200, fixed.text
        reason = f"retry all through {edge}"
        outcome = retry_all(site, cli, edge, reason)
        with site.host.db.unit_of_work() as session:
            audited = sorted((e.instance_id == repaired, e.actor, e.note) for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "admin.retried",
                                         AuditEvent.instance_id.in_((repaired, broken)))))
        results[edge] = (outcome, [(mine, actor) for mine, actor, _ in audited],
                         api_view(site, repaired)["status"], api_view(site, broken)["status"])
        assert {note for *_, note in audited} == {reason}
        # Leave no open 'no invoice' incident for the next edge.
        ended = admin.post(f"/api/v1/process-instances/{broken}/terminate", headers=FETCH, json={"reason": "done"})
        assert ended.status_code == 200, ended.text
    assert results["api"] == results["page"] == results["cli"]
    assert results["api"][0] == {"retried": 1, "failed_again": 1, "refused": 0}
    assert results["api"][2:] == ("running", "failed")
