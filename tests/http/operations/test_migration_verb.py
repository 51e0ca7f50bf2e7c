"""Migrating instances to another model version: the API (Camunda's vocabulary), the migration page and
`stroom instances migrate` call one operation (server/operations/migration.py), so the dry run, the
move, the kept task, the re-armed timer and the audit entry are the same whichever edge was used."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.instances import service as instances
from server.tasks.models import HumanTask
from tests.http.operations.conftest import Edges

MODEL = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "jobs" / "approval_reminder.bpmn"
V1 = MODEL.read_text()
PLAN = {"sourceProcessDefinitionId": "approval_reminder:1", "targetProcessDefinitionId": "approval_reminder:2"}


def deploy(edges: Edges, text: str) -> None:
    with edges.site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, edges.site.host, actor=Actor.system(env_id, "tests"), key="approval_reminder",
                         bpmn={"approval_reminder.bpmn": text.encode()})


def start_and_claim(edges: Edges, client: Any, token: str) -> tuple[int, int]:
    started = client.post("/api/v1/process-instances", json={"model": "approval_reminder", "data": {}},
                          headers={"X-CSRF-Token": token})
    assert started.status_code == 201, started.text
    instance_id = started.get_json()["id"]
    with edges.site.host.db.unit_of_work() as session:
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id)).one()
    carla, carla_token = edges.browser("carla")
    assert carla.post(f"/api/v1/tasks/{task_id}/claim", headers={"X-CSRF-Token": carla_token}).status_code == 200
    return instance_id, task_id


def state(edges: Edges, client: Any, instance_id: int, task_id: int) -> tuple[Any, ...]:
    """What a migration leaves: the task (id, assignee, status), the pending timers and the audit entry."""
    with edges.site.host.db.unit_of_work() as session:
        task = session.get(HumanTask, task_id)
        assert task is not None
        kept = (task.engine_task_id != "", task.assignee, task.status, task.element_id)
    jobs = client.get(f"/api/v1/process-instances/{instance_id}/jobs").get_json()["items"]
    timers = sorted((j["element_id"], j["status"]) for j in jobs if j["kind"] == "timer")
    entry = edges.audit("admin.migrated", instance_id)
    return kept, timers, entry.actor, entry.before, {k: v for k, v in entry.after.items() if k != "edge"}


def test_a_dry_run_and_a_migration_are_the_same_through_api_page_and_command_line(edges: Edges) -> None:
    client, token = edges.browser("admin")
    deploy(edges, V1)
    (by_api, api_task), (by_cli, cli_task), (by_page, page_task) = (start_and_claim(edges, client, token)
                                                                      for _ in range(3))
    deploy(edges, V1.replace('"PT1H"', '"PT2H"').replace("escalate_after_1d", "escalate_after_2d"))

    generated = client.post("/api/v1/migration/generate", json=PLAN, headers={"X-CSRF-Token": token}).get_json()
    assert {"sourceActivityIds": ["approve"], "targetActivityIds": ["approve"]} in generated["instructions"]
    assert [a["activityId"] for a in generated["unmappedActivities"]] == ["escalate_after_1d"]
    dry = client.post("/api/v1/migration/validate", json={**PLAN, "processInstanceQuery": {"activityIdIn": ["approve"]}},
                      headers={"X-CSRF-Token": token}).get_json()
    assert [(i["processInstanceId"], i["canMove"]) for i in dry["instances"]] == [
        (by_api, True), (by_cli, True), (by_page, True)]
    code, (cli_dry,) = edges.stroom("instances", "migrate", "--model", "approval_reminder", "--from-version", "1",
                                    "--to-version", "2", "--waiting-at", "approve", "--dry-run", "--as", "admin")
    assert code == 0 and cli_dry == dry
    page_dry = client.post("/migration", data={"csrf_token": token, "model": "approval_reminder", "from": "1",
                                               "to": "2", "waiting_at": "approve", "action": "validate"})
    assert page_dry.status_code == 200
    assert re.findall(r'href="/instances/(\d+)"', page_dry.text) == [str(by_api), str(by_cli), str(by_page)]

    moved = client.post("/api/v1/migration/execute", json={"migrationPlan": PLAN, "processInstanceIds": [by_api],
                                                           "reason": "reminder after 2 hours"},
                        headers={"X-CSRF-Token": token})
    assert moved.status_code == 200 and moved.get_json()["migrated"] == 1, moved.text
    code, (cli_moved,) = edges.stroom("instances", "migrate", "--model", "approval_reminder", "--from-version", "1",
                                      "--to-version", "2", "--instance", str(by_cli), "--as", "admin")
    assert code == 0 and cli_moved["migrated"] == 1
    page = client.post("/migration", data={"csrf_token": token, "model": "approval_reminder", "from": "1", "to": "2",
                                           "action": "execute"})
    assert page.status_code == 200 and "1 instances migrated to version 2, 0 left as they were" in page.text

    results = {edge: state(edges, client, iid, task) for edge, iid, task in (
        ("api", by_api, api_task), ("cli", by_cli, cli_task), ("web", by_page, page_task))}
    assert results["api"] == results["cli"] == results["web"]
    kept, timers, actor, before, after = results["api"]
    assert kept == (True, "carla", "claimed", "approve")
    assert timers == [("escalate_after_1d", "cancelled"), ("escalate_after_2d", "pending"),
                      ("remind_after_1h", "cancelled"), ("remind_after_1h", "pending")]
    assert (actor, before) == ("admin", {"version": 1, "waiting": ["approve"]})
    assert after == {"version": 2, "waiting": ["approve"], "mapping": {}}
    assert [edges.audit("admin.migrated", i).after["edge"] for i in (by_api, by_cli, by_page)] == ["api", "cli", "web"]


def test_a_migration_is_refused_to_non_admins_and_for_plans_that_do_not_fit(edges: Edges) -> None:
    admin, token = edges.browser("admin")
    deploy(edges, V1)
    deploy(edges, V1.replace('"PT1H"', '"PT2H"'))
    carla, carla_token = edges.browser("carla")
    for path in ("generate", "validate", "execute"):
        assert carla.post(f"/api/v1/migration/{path}", json=PLAN,
                          headers={"X-CSRF-Token": carla_token}).status_code == 403
    assert carla.get("/migration?model=approval_reminder").status_code == 403
    code, _ = edges.stroom("instances", "migrate", "--model", "approval_reminder", "--from-version", "1",
                           "--to-version", "2", "--as", "carla")
    assert code == 1

    def refused(body: dict[str, Any]) -> dict[str, Any]:
        answer = admin.post("/api/v1/migration/validate", json=body, headers={"X-CSRF-Token": token})
        assert answer.status_code == 422, answer.text
        return answer.get_json()["error"]

    unknown = refused({**PLAN, "instructions": [{"sourceActivityIds": ["check_order"],
                                                 "targetActivityIds": ["approve"]}]})
    assert unknown["code"] == "unknown_activity" and "check_order (version 1)" in unknown["message"]
    assert refused({**PLAN, "targetProcessDefinitionId": "approval_reminder:1"})["code"] == "same_version"
    assert refused({**PLAN, "targetProcessDefinitionId": "purchase_invoice:1"})["code"] == "other_model"
    assert refused({**PLAN, "instructions": [{"sourceActivityIds": ["a", "b"],
                                              "targetActivityIds": ["approve"]}]})["code"] == "invalid_input"
    code, _ = edges.stroom("instances", "migrate", "--model", "approval_reminder", "--from-version", "1",
                           "--to-version", "2", "--map", "nowhere=approve", "--dry-run", "--as", "admin")
    assert code == 1
