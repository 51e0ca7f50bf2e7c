"""Repairing an instance's data and moving its timers, through every edge (JSON API, instance page,
`stroom`): the same state change, the same audit entry, because all three call one operation; and
hostile input answered with a 4xx that names the problem."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import Environment
from server.cli import build
from server.instances import service as instances
from server.instances.models import ProcessInstance
from server.jobs.models import Job
from tests.e2e.site import Site, csrf

EDGES = ("api", "page", "cli")
JOB_MODELS = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "jobs"
FETCH = {"X-Requested-With": "fetch"}
_SEQ = itertools.count(1)
DECLARED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://stroom.example/bpmn">
  <bpmn:process id="declared_data" isExecutable="true">
    <bpmn:extensionElements><camunda:properties>
      <camunda:property name="stroom:startData" value="amount: number, supplier: string, note: string?"/>
    </camunda:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="Check" camunda:candidateGroups="creditors"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture(scope="module")
def models(site: Site) -> Site:
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        system = Actor.system(env_id, "tests")
        instances.deploy(session, site.host, actor=system, key="approval_reminder",
                         bpmn={"approval_reminder.bpmn": (JOB_MODELS / "approval_reminder.bpmn").read_bytes()})
        instances.deploy(session, site.host, actor=system, key="declared_data",
                         bpmn={"declared_data.bpmn": DECLARED.encode()})
        auth.ensure_environment(session, "other")
    return site


@pytest.fixture(scope="module")
def cli(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    runner = CliRunner(env={"STROOM_DATABASE_URL": site.settings.database_url, "STROOM_SECRET_KEY": "web-tests",
                            "STROOM_INSTANCE_DIR": str(site.settings.instance_dir)})

    def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
        result = runner.invoke(build(), list(args), input=stdin)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output
    yield run


def start(site: Site, model: str, data: dict[str, Any]) -> int:
    response = site.client("admin").post("/api/v1/process-instances", json={"model": model, "data": data},
                                         headers=FETCH)
    assert response.status_code == 201, response.text
    return response.get_json()["id"]


def view(site: Site, instance_id: int) -> dict[str, Any]:
    response = site.client("audrey").get(f"/api/v1/process-instances/{instance_id}")
    assert response.status_code == 200
    return response.get_json()


def last_admin_entry(site: Site, instance_id: int) -> tuple[Any, ...]:
    with site.host.db.unit_of_work() as session:
        entry = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                         AuditEvent.action.startswith("admin."))
                                .order_by(AuditEvent.seq.desc())).first()
        assert entry is not None
        return entry.action, entry.actor, entry.note, entry.before, entry.after


def flash_of(html: str) -> str:
    found = re.search(r'<p class="flash [^"]*">(.*?)</p>', html, re.DOTALL)
    assert found, html[:2000]
    return found.group(1)


def page_post(site: Site, instance_id: int, path: str, form: dict[str, str]) -> str:
    admin, page = site.client("admin"), f"/instances/{instance_id}"
    shown = admin.post(f"{page}/{path}", data={"csrf_token": csrf(admin.get(page).text), **form},
                       follow_redirects=True)
    assert shown.status_code == 200, shown.text[:2000]
    return flash_of(shown.text)


def set_variables(site: Site, cli: Any, edge: str, instance_id: int, variables: Any, reason: str) -> None:
    if edge == "api":
        response = site.client("admin").put(f"/api/v1/process-instances/{instance_id}/variables",
                                            json={"variables": variables, "reason": reason}, headers=FETCH)
        assert response.status_code == 200, response.text
    elif edge == "page":
        page_post(site, instance_id, "admin/set_variables", {"variables": json.dumps(variables), "reason": reason})
    else:
        code, output = cli("instances", "set-variables", str(instance_id), "--file", "-", "--reason", reason,
                           "--as", "admin", stdin=json.dumps(variables))
        assert code == 0, output


def test_a_repair_of_the_data_is_the_same_through_api_page_and_command_line(models: Site, cli: Any) -> None:
    results = {}
    for edge in EDGES:
        instance_id = start(models, "purchase_invoice", {"erp_api_key": "k-secret", "invoice_id": 10**9})
        assert view(models, instance_id)["status"] == "failed"  # no such invoice: the match step fails
        shown = view(models, instance_id)["data"]
        assert shown["erp_api_key"] == "********"
        set_variables(models, cli, edge, instance_id, {**shown, "invoice_id": None, "note": "checked"},
                      "the invoice id was mistyped")
        after = view(models, instance_id)
        action, who, note, before, changed = last_admin_entry(models, instance_id)
        assert before["data"]["invoice_id"] == 10**9 and changed["data"]["note"] == "checked"
        assert "k-secret" not in json.dumps([before, changed])  # the audit keeps secrets masked
        results[edge] = (after["status"], after["data"], action, who, note, before, changed)
    assert results["api"] == results["page"] == results["cli"]
    assert results["api"][2:5] == ("admin.variables_set", "admin", "the invoice id was mistyped")


def test_the_masked_secret_keeps_its_stored_value(models: Site) -> None:
    instance_id = start(models, "purchase_invoice", {"erp_api_key": "k-secret", "invoice_id": 10**9})
    shown = view(models, instance_id)["data"]
    set_variables(models, None, "api", instance_id, {**shown, "note": "x"}, "keep the key")
    with models.host.db.unit_of_work() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        run = instances.load_run(session, models.host, instance, actor=Actor.system(instance.environment_id))
        assert run.data["erp_api_key"] == "k-secret" and run.data["note"] == "x"


@pytest.mark.parametrize(("variables", "status", "named"), [
    ([1, 2], 422, "must be a JSON object, not a list"),
    ("text", 422, "must be a JSON object, not str"),
    ({"amount": "ten", "supplier": "ACME"}, 422, "amount must be a number"),
    ({"amount": 10}, 422, "supplier is required"),
], ids=["list", "string", "wrong-type", "missing"])
def test_variables_that_do_not_fit_are_refused_naming_the_problem(models: Site, variables: Any, status: int,
                                                                  named: str) -> None:
    instance_id = start(models, "declared_data", {"amount": 10, "supplier": "ACME"})
    response = models.client("admin").put(f"/api/v1/process-instances/{instance_id}/variables",
                                          json={"variables": variables, "reason": "test"}, headers=FETCH)
    assert response.status_code == status and named in response.get_json()["error"]["message"], response.text
    assert view(models, instance_id)["data"] == {"amount": 10, "supplier": "ACME"}


def test_a_repair_needs_a_reason_an_admin_and_an_instance_of_the_own_environment(models: Site, cli: Any) -> None:
    instance_id = start(models, "declared_data", {"amount": 10, "supplier": "ACME"})
    url = f"/api/v1/process-instances/{instance_id}/variables"
    body = {"variables": {"amount": 11, "supplier": "ACME"}}
    no_reason = models.client("admin").put(url, json=body, headers=FETCH)
    assert no_reason.status_code == 422 and no_reason.get_json()["error"]["code"] == "reason_required"
    as_creditor = models.client("carla").put(url, json={**body, "reason": "x"}, headers=FETCH)
    assert as_creditor.status_code == 403
    missing = models.client("admin").put("/api/v1/process-instances/987654/variables", json={**body, "reason": "x"},
                                         headers=FETCH)
    assert missing.status_code == 404 and "987654" in missing.get_json()["error"]["message"]
    code, output = cli("instances", "set-variables", str(instance_id), "--file", "-", "--reason", "x",
                       "--environment", "other", stdin="{}")
    assert code != 0 and f"process instance {instance_id} not found" in output
    code, output = cli("instances", "set-variables", str(instance_id), "--file", "-", "--reason", "x",
                       stdin="{not json")
    assert code != 0 and "not JSON" in output


def timer_job(site: Site, instance_id: int, element: str) -> dict[str, Any]:
    response = site.client("audrey").get(f"/api/v1/process-instances/{instance_id}/jobs")
    assert response.status_code == 200, response.text
    (job,) = [j for j in response.get_json()["items"] if j["element_id"] == element and j["status"] == "pending"]
    return job


def job_verb(site: Site, cli: Any, edge: str, instance_id: int, job_id: int, verb: str, when: str | None) -> None:
    if edge == "api":
        client = site.client("admin")
        response = (client.post(f"/api/v1/jobs/{job_id}/fire", json={"reason": "parity"}, headers=FETCH)
                    if verb == "fire" else
                    client.put(f"/api/v1/jobs/{job_id}/due", json={"due_at": when, "reason": "parity"}, headers=FETCH))
        assert response.status_code == 200, response.text
    elif edge == "page":
        form = {"reason": "parity", **({"due_at": when} if when else {})}
        said = page_post(site, instance_id, f"jobs/{job_id}/{'fire' if verb == 'fire' else 'due'}", form)
        assert f"Job {job_id}" in said
    else:
        args = ["jobs", "fire", str(job_id)] if verb == "fire" else ["jobs", "set-due", str(job_id), str(when)]
        code, output = cli(*args, "--reason", "parity", "--as", "admin")
        assert code == 0, output


@pytest.mark.parametrize("verb", ["fire", "set-due"])
def test_firing_or_moving_a_timer_is_the_same_through_api_page_and_command_line(models: Site, cli: Any,
                                                                              verb: str) -> None:
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(microsecond=0, tzinfo=None)
    results = {}
    for edge in EDGES:
        instance_id = start(models, "approval_reminder", {"invoice_number": f"F-{next(_SEQ)}"})
        job = timer_job(models, instance_id, "remind_after_1h")
        job_verb(models, cli, edge, instance_id, job["id"], verb, later.isoformat() if verb == "set-due" else None)
        moved = timer_job(models, instance_id, "remind_after_1h")
        assert moved["id"] == job["id"]  # the same job, kept by the timer reconcile
        due = dt.datetime.fromisoformat(moved["due_at"])
        if verb == "fire":
            assert due <= dt.datetime.now(dt.UTC)
        else:
            assert due == later.replace(tzinfo=dt.UTC)
        action, who, note, before, after = last_admin_entry(models, instance_id)
        assert before["due_at"] == job["due_at"] and after["due_at"] == moved["due_at"]
        results[edge] = (action, who, note, after["kind"], after["element"])
    assert results["api"] == results["page"] == results["cli"]
    assert results["api"][:3] == ("admin.job_fired" if verb == "fire" else "admin.job_rescheduled", "admin", "parity")


def test_a_moved_timer_keeps_its_time_when_the_instance_is_saved_again(models: Site) -> None:
    instance_id = start(models, "approval_reminder", {"invoice_number": "F-keep"})
    job = timer_job(models, instance_id, "escalate_after_1d")
    when = "2031-01-02T03:04:05+00:00"
    assert models.client("admin").put(f"/api/v1/jobs/{job['id']}/due", json={"due_at": when},
                                      headers=FETCH).status_code == 200
    response = models.client("admin").post(f"/api/v1/process-instances/{instance_id}/suspend",
                                           json={"reason": "save it"}, headers=FETCH)
    assert response.status_code == 200  # a save reconciles the timer jobs
    models.client("admin").post(f"/api/v1/process-instances/{instance_id}/resume", json={"reason": "again"},
                                headers=FETCH)
    assert timer_job(models, instance_id, "escalate_after_1d") == {**job, "due_at": when}


def test_job_verbs_refuse_bad_times_other_environments_non_admins_and_done_jobs(models: Site, cli: Any) -> None:
    instance_id = start(models, "approval_reminder", {"invoice_number": "F-hostile"})
    job = timer_job(models, instance_id, "remind_after_1h")
    admin = models.client("admin")
    bad = admin.put(f"/api/v1/jobs/{job['id']}/due", json={"due_at": "next tuesday"}, headers=FETCH)
    assert bad.status_code == 422 and "due_at must be an ISO 8601" in bad.get_json()["error"]["message"]
    not_text = admin.put(f"/api/v1/jobs/{job['id']}/due", json={"due_at": 5}, headers=FETCH)
    assert not_text.status_code == 422
    assert models.client("carla").post(f"/api/v1/jobs/{job['id']}/fire", headers=FETCH).status_code == 403
    assert admin.post("/api/v1/jobs/987654/fire", headers=FETCH).status_code == 404
    code, output = cli("jobs", "fire", str(job["id"]), "--environment", "other")
    assert code != 0 and f"job {job['id']} not found" in output
    with models.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        mail = Job(kind="mail", payload={}, status="done", environment_id=env_id, instance_id=instance_id)
        session.add(mail)
        session.flush()
        done_id = mail.id
    done = admin.post(f"/api/v1/jobs/{done_id}/fire", headers=FETCH)
    assert done.status_code == 409 and "only a pending job" in done.get_json()["error"]["message"]
    admin.post(f"/api/v1/process-instances/{instance_id}/suspend", json={"reason": "hold"}, headers=FETCH)
    held = admin.post(f"/api/v1/jobs/{job['id']}/fire", headers=FETCH)
    assert held.status_code == 409 and "suspended" in held.get_json()["error"]["message"]


def test_the_repair_form_says_what_is_wrong_with_the_json(models: Site) -> None:
    instance_id = start(models, "declared_data", {"amount": 10, "supplier": "ACME"})
    admin, page = models.client("admin"), f"/instances/{instance_id}"
    token = csrf(admin.get(page).text)
    for text, named in (("{\"amount\": 1", "the variables are not JSON"), ("[1, 2]", "not a list"),
                        ("{\"amount\": \"ten\", \"supplier\": \"ACME\"}", "amount must be a number")):
        shown = admin.post(f"{page}/admin/set_variables", data={"csrf_token": token, "variables": text,
                                                                 "reason": "test"}, follow_redirects=True)
        assert shown.status_code in (200, 422) and named in shown.text, shown.text[:1500]
    assert view(models, instance_id)["data"] == {"amount": 10, "supplier": "ACME"}
    refused = models.client("carla").post(f"{page}/admin/set_variables", data={"variables": "{}", "reason": "x"})
    assert refused.status_code in (400, 403)
