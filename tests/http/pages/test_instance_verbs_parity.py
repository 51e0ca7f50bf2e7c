"""Every instance verb through every edge that offers it (JSON API, instance page, `stroom instances`):
the same state change, the same audit entry and the same answer, because all three call one operation."""
from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.actor import Actor
from server.auth.models import Environment
from server.cli import build
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from tests.e2e.site import Site, csrf

EDGES = ("api", "page", "cli")
PAGE_ACTION = {"restart-step": "restart", "restart": "restart_instance"}
CLI_FIELD = {"to": "--to", "element_id": "--element", "incident_id": "--incident"}
_SEQ = itertools.count(1)


@pytest.fixture(scope="module")
def cli(site: Site) -> Iterator[Any]:
    runner = CliRunner(env={"STROOM_DATABASE_URL": site.settings.database_url, "STROOM_SECRET_KEY": "web-tests",
                            "STROOM_INSTANCE_DIR": str(site.settings.instance_dir)})

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(build(), list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output
    yield run


def waiting_instance(site: Site) -> int:
    """A fresh invoice waiting at the creditors' approval."""
    xml = next(p for p in demo_invoice_paths() if p.name == "unknown_bank_account.xml").read_text("utf-8")
    xml = xml.replace("<cbc:ID>PT-2026-0411</cbc:ID>", f"<cbc:ID>PT-PARITY-{next(_SEQ)}</cbc:ID>", 1)
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=xml.encode(), source="web")
    assert result.instance_id is not None, result
    return result.instance_id


def failed_instance(site: Site) -> int:
    """An instance started without its invoice: the match step fails and waits for a retry."""
    response = site.client("admin").post("/api/v1/process-instances", json={"model": "purchase_invoice", "data": {}},
                                         headers={"X-Requested-With": "fetch"})
    assert response.status_code == 201, response.text
    return response.get_json()["id"]


def api_view(site: Site, instance_id: int) -> dict[str, Any]:
    response = site.client("audrey").get(f"/api/v1/process-instances/{instance_id}")
    assert response.status_code == 200
    return response.get_json()


def essence(view: dict[str, Any]) -> dict[str, Any]:
    """What an answer says, without ids and clock times that differ between two instances."""
    last = dict(view["interventions"][-1]) if view["interventions"] else {}
    last["after"] = without_ids(last.get("after"))
    return {"status": view["status"], "end_reason": view["end_reason"],
            "elements": sorted((e["element_id"], e["state"]) for e in view["elements"]),
            "open_tasks": sorted(t["element_id"] for t in view["open_tasks"]),
            "open_incidents": sorted(i["element_id"] for i in view["incidents"] if i["status"] == "open"),
            "intervention": {k: last.get(k) for k in ("action", "actor", "reason", "before", "after")}}


def audit_entry(site: Site, instance_id: int) -> tuple[Any, ...]:
    with site.host.db.unit_of_work() as session:
        entry = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                         AuditEvent.action.startswith("admin."))
                                .order_by(AuditEvent.seq.desc())).first()
        assert entry is not None
        return entry.action, entry.actor, entry.note, json.dumps(entry.before), json.dumps(without_ids(entry.after))


def without_ids(after: Any) -> Any:
    """The state after, without the incident's id (each edge worked on its own instance)."""
    return {k: v for k, v in after.items() if k != "incident"} if isinstance(after, dict) else after


def through(site: Site, cli: Any, edge: str, instance_id: int, verb: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Run `verb` through one edge as the admin; the answer that edge gave, as a view."""
    reason = f"parity check of {verb}"
    if edge == "api":
        response = site.client("admin").post(f"/api/v1/process-instances/{instance_id}/{verb}",
                                             json={"reason": reason, **fields}, headers={"X-Requested-With": "fetch"})
        assert response.status_code == 200, response.text
        return response.get_json()
    if edge == "page":
        admin, page = site.client("admin"), f"/instances/{instance_id}"
        form = {"reason": reason, **{"element": str(v) for v in fields.values()}}
        shown = admin.post(f"{page}/admin/{PAGE_ACTION.get(verb, verb)}",
                           data={"csrf_token": csrf(admin.get(page).text), **form}, follow_redirects=True)
        assert shown.status_code == 200
        flash = re.search(r'<p class="flash [^"]*">(.*?)</p>', shown.text, re.S)
        assert flash, shown.text[:2000]
        view = api_view(site, instance_id)
        assert view["status"] in flash.group(1), flash.group(1)  # the page says what became of it
        return view
    args = [x for name, value in fields.items() for x in (CLI_FIELD[name], str(value))]
    code, output = cli("instances", verb, str(instance_id), *args, "--reason", reason, "--as", "admin")
    assert code == 0, output
    return json.loads(output)


CASES = [
    ("suspend", waiting_instance, None, {}),
    ("resume", waiting_instance, "suspend", {}),
    ("terminate", waiting_instance, None, {}),
    ("move", waiting_instance, None, {"to": "route"}),
    ("restart-step", waiting_instance, None, {"element_id": "match"}),
    ("restart", waiting_instance, "terminate", {"element_id": "approve"}),
    ("retry", failed_instance, None, {}),
]


@pytest.mark.parametrize(("verb", "make", "before", "fields"), CASES, ids=[c[0] for c in CASES])
def test_each_edge_gives_the_same_state_audit_entry_and_answer(site: Site, cli: Any, verb, make, before,
                                                               fields) -> None:
    results = {}
    for edge in EDGES:
        instance_id = make(site)
        if before:
            through(site, cli, "api", instance_id, before, {})
        answer = through(site, cli, edge, instance_id, verb, fields)
        results[edge] = (essence(answer), essence(api_view(site, instance_id)), audit_entry(site, instance_id)[:3],
                         audit_entry(site, instance_id)[3:])
        assert results[edge][0] == results[edge][1]  # the answer is the state the instance is in
    assert results["api"] == results["page"] == results["cli"]


def test_the_instance_page_masks_secrets_in_the_data_as_the_api_does(site: Site) -> None:
    admin = site.client("admin")
    response = admin.post("/api/v1/process-instances", headers={"X-Requested-With": "fetch"}, json={
        "model": "purchase_invoice", "data": {"erp_api_key": "k-123", "supplier": {"portal_password": "hunter2"},
                                              "iban": "NL91ABNA0417164300"}})
    instance_id = response.get_json()["id"]
    page = admin.get(f"/instances/{instance_id}").text
    assert "k-123" not in page and "hunter2" not in page
    assert "********" in page and "NL91ABNA0417164300" in page  # only secrets are masked
    assert api_view(site, instance_id)["data"]["erp_api_key"] == "********"


def test_a_hand_start_answers_and_refuses_alike_over_the_api_and_the_command_line(site: Site, cli: Any) -> None:
    admin = site.client("admin")
    response = admin.post("/api/v1/process-instances", headers={"X-Requested-With": "fetch"},
                          json={"model": "expense_declaration", "business_key": "EXP-1"})
    assert response.status_code == 201
    code, output = cli("start", "expense_declaration", "--business-key", "EXP-1")
    assert code == 0, output
    by_api, by_cli = response.get_json(), json.loads(output)
    assert {k: v for k, v in by_api.items() if k != "id"} == {k: v for k, v in by_cli.items() if k != "id"}
    with site.host.db.unit_of_work() as session:
        started = [(e.action, json.dumps(e.after)) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "instance.started",
                                     AuditEvent.instance_id.in_((by_api["id"], by_cli["id"]))))]
    assert len(started) == 2 and started[0] == started[1]

    refused = admin.post("/api/v1/process-instances", headers={"X-Requested-With": "fetch"},
                         json={"model": "trusted_sender", "data": {}})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "invalid_start_data"
    code, output = cli("start", "trusted_sender")
    assert code != 0 and "email is required" in output and refused.get_json()["error"]["message"] in output
