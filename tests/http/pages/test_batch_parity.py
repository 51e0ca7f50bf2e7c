"""A batch through every edge (JSON API, instance list and batch pages, `stroom batches`): the same dry
count, the same instances suspended, the same audit entries naming the batch, because all three call
the operations of server/operations/batches.py; and what only administrators may do, with bad filters
answered 422 naming the field."""
from __future__ import annotations

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
from server.instances import service as instances
from server.jobs.worker import Worker
from tests.e2e.site import Site, csrf

EDGES = ("api", "page", "cli")
FETCH = {"X-Requested-With": "fetch"}
MODEL = "batch_parity"
CHOSEN = {"model": MODEL, "status": "running"}
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
  targetNamespace="http://stroom.example/bpmn">
  <bpmn:process id="batch_parity" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="Check"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
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
        instances.deploy(session, site.host, actor=Actor.system(env_id, "tests"), key=MODEL,
                         bpmn={"batch_parity.bpmn": BPMN.encode()})
    return site


@pytest.fixture(scope="module")
def cli(site: Site) -> Iterator[Any]:
    runner = CliRunner(env={"STROOM_DATABASE_URL": site.settings.database_url, "STROOM_SECRET_KEY": "web-tests",
                            "STROOM_INSTANCE_DIR": str(site.settings.instance_dir)})

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(build(), list(args))
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.stderr
    yield run


def start_instances(site: Site, count: int) -> list[int]:
    started = []
    for _ in range(count):
        response = site.client("admin").post("/api/v1/process-instances", json={"model": MODEL}, headers=FETCH)
        assert response.status_code == 201, response.text
        started.append(response.get_json()["id"])
    return started


def run_worker(site: Site) -> None:
    worker = Worker(site.host, name="batch-parity")
    while worker.run_once():
        pass


def batch_through(site: Site, cli: Any, edge: str) -> dict[str, Any]:
    """Count, start and finish a suspend batch of CHOSEN through one edge; the batch as the API shows it."""
    admin = site.client("admin")
    if edge == "api":
        counted = admin.get("/api/v1/batches/count", query_string={"kind": "suspend", **CHOSEN})
        assert counted.status_code == 200 and counted.get_json()["count"] == 2, counted.text
        started = admin.post("/api/v1/batches", json={"kind": "suspend", "filter": CHOSEN, "reason": "parity"},
                             headers=FETCH)
        assert started.status_code == 202 and started.headers["Location"] == started.get_json()["status_url"]
        batch_id = started.get_json()["id"]
        run_worker(site)
    elif edge == "page":
        listed = admin.get("/instances", query_string=CHOSEN).text
        assert "2 instances match this filter." in listed
        review = admin.get("/batches/new", query_string={"kind": "suspend", **CHOSEN}).text
        assert "2 instances will be changed." in review
        posted = admin.post("/batches", data={"csrf_token": csrf(review), "kind": "suspend", "reason": "parity",
                                              **CHOSEN})
        assert posted.status_code == 302, posted.text[:1000]
        batch_id = int(posted.headers["Location"].rsplit("/", 1)[1])
        run_worker(site)
        shown = admin.get(f"/batches/{batch_id}").text
        assert 'id="b-succeeded" data-number="succeeded">2<' in shown and shown.count('class="badge succeeded"') == 2
        # the poller says each status the run can pass through in the page's language (progress.js)
        words = json.loads(re.search(r"data-status-words='([^']*)'", shown).group(1))  # type: ignore[union-attr]
        assert set(words) == {"queued", "running", "cancelling", "completed", "cancelled"}
    else:
        options = [f"--{k}={v}" for k, v in CHOSEN.items()]
        code, out, err = cli("batches", "start", "--kind", "suspend", *options, "--dry-run", "--as", "admin")
        assert code == 0 and json.loads(out)["count"] == 2, out + err
        code, out, err = cli("batches", "start", "--kind", "suspend", *options, "--reason", "parity", "--as", "admin")
        assert code == 0, out + err
        assert "suspend batch" in err  # the progress bar's label
        batch_id = json.loads(out)["id"]
    answer = admin.get(f"/api/v1/batches/{batch_id}")
    assert answer.status_code == 200
    return answer.get_json()


def admin_entries(site: Site, instance_ids: list[int]) -> list[tuple[Any, ...]]:
    with site.host.db.unit_of_work() as session:
        entries = session.scalars(select(AuditEvent).where(AuditEvent.instance_id.in_(instance_ids),
                                                           AuditEvent.action.startswith("admin."))
                                  .order_by(AuditEvent.instance_id)).all()
        return [(e.action, e.actor, e.note, e.before, e.after) for e in entries]


def test_a_batch_is_the_same_through_api_page_and_command_line(models: Site, cli: Any) -> None:
    results = {}
    for edge in EDGES:
        ids = start_instances(models, 2)
        batch = batch_through(models, cli, edge)
        assert [view["status"] for view in (models.client("admin").get(f"/api/v1/process-instances/{i}").get_json()
                                            for i in ids)] == ["suspended", "suspended"]
        assert sorted(item["instance_id"] for item in batch["items"]) == ids
        entries = admin_entries(models, ids)
        assert [after["batch_id"] for *_, after in entries] == [batch["id"]] * 2
        results[edge] = ({k: batch[k] for k in ("kind", "status", "total", "succeeded", "failed", "filter",
                                                "actor", "reason")},
                         [(action, who, note, before, {k: v for k, v in after.items() if k != "batch_id"})
                          for action, who, note, before, after in entries],
                         [(i["result"], i["reason"]) for i in batch["items"]])
        assert batch["edge"] == edge
    assert results["api"] == results["page"] == results["cli"]
    assert results["api"][1][0] == ("admin.suspended", "admin", "parity", {"status": "running"},
                                    {"status": "suspended"})

    listed = models.client("admin").get("/api/v1/batches", query_string={"limit": 2}).get_json()
    assert [b["edge"] for b in listed["items"]] == ["cli", "page"] and listed["next_cursor"]
    older = models.client("admin").get("/api/v1/batches", query_string={"limit": 2,
                                                                        "cursor": listed["next_cursor"]})
    assert [b["edge"] for b in older.get_json()["items"]][:1] == ["api"]
    code, out, _ = cli("batches", "list", "--as", "admin")
    assert code == 0 and [b["edge"] for b in json.loads(out)["items"]][:3] == ["cli", "page", "api"]
    code, out, _ = cli("batches", "show", str(listed["items"][0]["id"]), "--result", "succeeded")
    assert code == 0 and len(json.loads(out)["items"]) == 2


def test_cancel_through_each_edge_leaves_the_instances_not_attempted(models: Site, cli: Any) -> None:
    admin = models.client("admin")
    for number, edge in enumerate(EDGES, start=1):
        start_instances(models, 1)  # the instances of the batches cancelled before stay running too
        started = admin.post("/api/v1/batches", json={"kind": "terminate", "filter": CHOSEN, "reason": "parity"},
                             headers=FETCH).get_json()
        if edge == "api":
            answer = admin.delete(f"/api/v1/batches/{started['id']}", headers=FETCH)
            assert answer.status_code == 200
        elif edge == "page":
            page = admin.get(f"/batches/{started['id']}").text
            shown = admin.post(f"/batches/{started['id']}/cancel", data={"csrf_token": csrf(page)},
                               follow_redirects=True).text
            assert f"Batch {started['id']} is cancelled." in shown
        else:
            code, out, err = cli("batches", "cancel", str(started["id"]), "--as", "admin")
            assert code == 0, out + err
        view = admin.get(f"/api/v1/batches/{started['id']}").get_json()
        assert (view["status"], view["total"], view["not_attempted"]) == ("cancelled", number, number)
        assert {item["result"] for item in view["items"]} == {"not_attempted"}
    again = admin.delete(f"/api/v1/batches/{started['id']}", headers=FETCH)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "batch_ended"
    run_worker(models)  # the cancelled batches' jobs find nothing to do
    assert admin.get("/api/v1/batches/count", query_string={"kind": "terminate", **CHOSEN}).get_json()["count"] == 3


def test_only_administrators_use_batches_and_bad_filters_are_named(models: Site, cli: Any) -> None:
    carla = models.client("carla")
    assert carla.get("/api/v1/batches").status_code == 403
    assert carla.post("/api/v1/batches", json={"kind": "suspend", "filter": CHOSEN, "reason": "x"},
                      headers=FETCH).status_code == 403
    assert carla.get("/batches").status_code == 403
    assert 'data-testid="batch-form"' not in carla.get("/instances", query_string=CHOSEN).text
    code, _, err = cli("batches", "list", "--as", "carla")
    assert code != 0 and "your roles do not allow instances.admin" in err

    admin = models.client("admin")
    for query, field in (({"kind": "suspend", "model": MODEL, "version": "two"}, "version"),
                         ({"kind": "suspend", "started_before": "last week"}, "started_before"),
                         ({"kind": "suspend", "incident": "maybe"}, "incident"),
                         ({"kind": "explode", "model": MODEL}, "kind"),
                         ({"kind": "suspend"}, "filter"),
                         ({"kind": "suspend", "colour": "red"}, None)):
        answer = admin.get("/api/v1/batches/count", query_string=query)
        assert answer.status_code == 422, (query, answer.text)
        if field:
            assert answer.get_json()["error"]["details"][0]["field"] == field
    for body in ({"kind": "suspend", "filter": {"model": MODEL, "started_after": 5}, "reason": "x"},
                 {"kind": "suspend", "filter": CHOSEN},
                 {"kind": "suspend", "filter": "model=x", "reason": "x"},
                 {"kind": "suspend", "filter": CHOSEN, "reason": "x", "dry": True},
                 {"kind": "resume", "filter": CHOSEN, "reason": "x"}):
        answer = admin.post("/api/v1/batches", json=body, headers=FETCH)
        assert answer.status_code == 422, (body, answer.text)
    assert admin.get("/api/v1/batches/987654").status_code == 404
    assert admin.get("/api/v1/batches/1", query_string={"result": "won"}).status_code == 422
    bad_page = admin.get("/batches/new", query_string={"kind": "suspend", "started_after": "soon"})
    assert bad_page.status_code == 422 and "ISO 8601" in bad_page.text
    code, _, err = cli("batches", "start", "--kind", "suspend", "--version", "2", "--reason", "x", "--as", "admin")
    assert code != 0 and "version: needs the model key" in err
    assert re.search(r"\d+ instances? match", admin.get("/instances", query_string={"model": MODEL}).text)
