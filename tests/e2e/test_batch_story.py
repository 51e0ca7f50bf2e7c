"""An administrator ends a batch of stuck instances in a real browser: filters the instance list, sees how
many match, chooses terminate, confirms with a reason, and watches the batch page's progress bar until
the per-instance results show, including the one instance a colleague had already ended by hand."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.instances import service as instances
from server.jobs.worker import Worker
from server.operations import instances as operations
from tests.e2e.conftest import Browse
from tests.e2e.site import Site

MODEL = "batch_story"
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
  targetNamespace="http://stroom.example/bpmn">
  <bpmn:process id="batch_story" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check_supplier" name="Check supplier"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check_supplier"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check_supplier" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def stuck_instances(site: Site, count: int) -> tuple[Actor, list[int]]:
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        system = Actor.system(env_id, "tests")
        instances.deploy(session, site.host, actor=system, key=MODEL, bpmn={"batch_story.bpmn": BPMN.encode()})
        return system, [instances.start(session, site.host, actor=system, key=MODEL,
                                        business_key=f"SUP-{n}").id for n in range(count)]


def test_an_admin_terminates_filtered_instances_in_a_batch_and_watches_it_finish(browse: Browse, site: Site,
                                                                                  base_url: str) -> None:
    system, ids = stuck_instances(site, 3)
    page: Any = browse.login("admin")
    page.goto(f"{base_url}/instances")
    page.get_by_label("Process").select_option(MODEL)
    page.get_by_label("Waiting at step").fill("check_supplier")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_test_id("match-count").inner_text() == "3 instances match this filter."
    page.get_by_label("Action for all of them").select_option("terminate")
    page.get_by_role("button", name="Review batch").click()

    assert page.get_by_test_id("batch-count").inner_text() == "3 instances will be changed."
    page.get_by_label("Reason").fill("Supplier went bankrupt")
    page.get_by_role("button", name="Start batch").click()
    page.wait_for_url(lambda url: "/batches/" in url and "/new" not in url)
    assert page.locator("#b-status").inner_text() == "queued"
    assert page.locator("#b-progress").get_attribute("value") == "0"
    browse.shot("queued")

    with site.host.db.unit_of_work() as session:  # a colleague ends one by hand before the worker gets to it
        operations.terminate(session, site.host, actor=system, instance_id=ids[1], reason="paid already")
    Worker(site.host, name="e2e-batches").run_once()

    page.locator("#b-status", has_text="completed").wait_for()  # the page polled, then showed the results
    assert page.locator("#b-progress").get_attribute("value") == "3"
    assert [page.locator(f"#b-{name}").inner_text() for name in ("succeeded", "failed", "not-attempted")] == \
        ["2", "1", "0"]
    results = page.get_by_test_id("batch-results")
    failed = results.locator("tr", has_text="SUP-1")
    assert "failed" in failed.inner_text() and f"instance {ids[1]} is terminated" in failed.inner_text()
    assert results.locator("tr", has_text="succeeded").count() == 2
    assert page.get_by_role("button", name="Cancel batch").count() == 0
    browse.shot("completed")
    assert not browse.errors, browse.errors
