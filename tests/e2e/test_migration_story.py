"""An admin fixes a model in the browser, deploys version 2, dry-runs and migrates the instances waiting
at the first approval (Camunda 7's instance migration), and they continue on version 2: the claimed
approval is still the approver's, and the next step is routed as version 2 says."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.instances import service as instances
from server.tasks import service as tasks
from server.tasks.models import HumanTask
from tests.e2e.conftest import Browse, browsing
from tests.e2e.modeler import click_element, deploy, open_group
from tests.e2e.site import Site

MODEL = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "two_approvals.bpmn"
KEY = "migrate_story"


def open_tasks(site: Site, instance_id: int) -> list[HumanTask]:
    with site.host.db.unit_of_work() as session:
        found = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.status.in_(("open", "claimed")))))
        session.expunge_all()
        return found


def waiting_instances(site: Site) -> tuple[int, int]:
    """Version 1 deployed; two invoices wait at the first approval, carla claimed the first one."""
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        system = Actor.system(env_id, "tests")
        instances.deploy(session, site.host, actor=system, key=KEY, bpmn={MODEL.name: MODEL.read_bytes()})
        ids = tuple(instances.start(session, site.host, actor=system, key=KEY, data={"route_group": "purchasing"},
                                    business_key=f"INV-MIG-{n}").id for n in (1, 2))
    (task,) = open_tasks(site, ids[0])
    with site.host.db.unit_of_work() as session:
        tasks.claim(session, actor=Actor.system(env_id, "carla"), task_id=task.id)
        session.get(HumanTask, task.id).assignee = "carla"
    return ids[0], ids[1]


def test_an_admin_fixes_the_routing_deploys_version_2_and_migrates_the_waiting_instances(
        browse: Browse, browser: Any, base_url: str, site: Site, request: pytest.FixtureRequest) -> None:
    claimed, other = waiting_instances(site)
    page = browse.login("admin")
    page.goto(f"{browse.base_url}/designer/{KEY}/edit/bpmn/{MODEL.name}")
    page.wait_for_selector("#editor[data-ready='true']")
    click_element(page, "second_approval")  # v1 routes the second approval to a group named in the data
    open_group(page, "User assignment")
    field = page.get_by_label("Candidate groups")
    field.fill("managers")
    field.press("Tab")
    assert deploy(page) == "Deployed as version 2."

    page.goto(f"{browse.base_url}/designer/{KEY}")
    page.get_by_role("link", name="Migrate instances to v2").click()
    plan = page.get_by_test_id("plan")
    assert plan.locator("tr", has_text="first_approval").count() == 1
    page.get_by_label("Only instances waiting at").select_option("first_approval")
    page.get_by_role("button", name="Dry run").click()
    report = page.get_by_test_id("report")
    rows = report.locator("tbody tr")
    assert rows.count() == 2
    assert [rows.nth(i).locator("td").nth(2).inner_text() for i in range(2)] == ["yes", "yes"]
    browse.shot("dry-run")

    page.get_by_label("Reason").fill("second approval goes to managers")
    page.get_by_role("button", name="Migrate").click()
    page.locator(".flash", has_text="2 instances migrated to version 2, 0 left as they were").wait_for()
    assert page.get_by_test_id("report").locator("tbody tr", has_text="first_approval").count() == 2

    (kept,) = open_tasks(site, claimed)
    assert (kept.element_id, kept.assignee, kept.status) == ("first_approval", "carla", "claimed")
    with browsing(browser, base_url, request) as carla:
        approver = carla.login("carla")
        approver.goto(f"{base_url}/tasks/{kept.id}")
        assert "carla" in approver.locator("dd", has_text="carla").first.inner_text()  # still hers
        approver.get_by_role("button", name="Approve", exact=True).click()
        approver.wait_for_url(lambda url: f"/tasks/{kept.id}" not in url)
    (second,) = open_tasks(site, claimed)
    assert (second.element_id, second.candidate_groups) == ("second_approval", ["managers"])  # version 2's rule
    with site.host.db.unit_of_work() as session:
        tasks.complete(session, site.host, actor=Actor.system(second.environment_id, "maria"), task_id=second.id,
                       data={})

    page.goto(f"{browse.base_url}/instances/{claimed}")
    assert page.get_by_test_id("instance-status").inner_text().strip().lower() == "completed"
    assert "2 (" in page.locator("dd", has_text="Two approvals").first.inner_text()
    history = page.get_by_test_id("history")
    assert history.locator("tr", has_text="Moved to another model version").count() == 1
    assert [t.element_id for t in open_tasks(site, other)] == ["first_approval"]
    assert not browse.errors, browse.errors
