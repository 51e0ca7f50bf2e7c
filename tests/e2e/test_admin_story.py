"""The administrator's day in a real browser, on the shipped purchase-invoice template: an invoice
waits for purchasing, the admin moves it back a step on the instance page, the approval waits again,
its reminder fires under the test clock, and once approved the instance runs to completion."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.db import utcnow
from server.demo_data import demo_invoice_paths
from server.instances import service as instances
from server.instances.shipped import shipped_models
from server.invoices import service as invoices
from server.jobs.worker import Worker
from server.tasks import service as tasks
from server.tasks.models import HumanTask
from tests.e2e.conftest import Browse, browsing, served
from tests.e2e.site import Site, build_site


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site whose purchase_invoice is the shipped template again (reminder after 2 days)."""
    site = build_site(Path(tmp_path_factory.mktemp("admin-story")))
    model = next(m for m in shipped_models() if m.key == "purchase_invoice")
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, site.host, actor=Actor.system(env_id, "tests"), key=model.key, bpmn=model.bpmn,
                         dmn=model.dmn, forms=model.forms)
    yield site
    site.host.db.dispose()


@pytest.fixture(scope="module")
def shipped_url(shipped_site: Site) -> Iterator[str]:
    with served(shipped_site) as url:
        yield url


@pytest.fixture
def admin_browse(browser: Any, shipped_url: str, request: pytest.FixtureRequest) -> Iterator[Browse]:
    with browsing(browser, shipped_url, request) as session:
        yield session


def waiting_invoice(site: Site) -> int:
    """A matching difference: the approval table routes it to purchasing (piet)."""
    sample = next(p for p in demo_invoice_paths() if p.name == "matching_difference.xml")
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=sample.read_bytes(),
                             filename=sample.name, source="web")
    assert result.instance_id is not None, result
    return result.instance_id


def open_tasks(site: Site, instance_id: int) -> list[HumanTask]:
    with site.host.db.unit_of_work() as session:
        found = list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                             HumanTask.status.in_(("open", "claimed")))))
        session.expunge_all()
        return found


def run_worker(site: Site, *, days: float) -> None:
    """The job worker as it would run `days` from now: due timers fire, mail goes to the outbox."""
    later = utcnow() + dt.timedelta(days=days)
    worker = Worker(site.host, name="e2e-clock", clock=lambda: later)
    for _ in range(50):
        if not worker.run_once():
            return
    raise AssertionError("the worker kept finding due jobs")


def subjects(site: Site) -> list[str]:
    return [" ".join(str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]).split())
            for p in sorted(site.settings.outbox.glob("*.eml"))]


def test_an_admin_moves_an_invoice_back_a_step_and_it_runs_to_completion(admin_browse: Browse,
                                                                        shipped_site: Site) -> None:
    site = shipped_site
    instance_id = waiting_invoice(site)
    (first,) = open_tasks(site, instance_id)
    assert first.element_id == "approve_invoice"

    page = admin_browse.login("admin")
    page.goto(f"{admin_browse.base_url}/instances/{instance_id}")
    page.wait_for_selector("#diagram[data-ready='true']")
    form = page.get_by_test_id("move-form")
    form.get_by_label("Step").select_option("decide_approval")
    form.get_by_label("Reason").fill("Master data was corrected; decide the route again.")
    form.get_by_role("button", name="Move").click()
    page.locator(".flash", has_text="running").wait_for()
    assert page.get_by_test_id("instance-status").inner_text().strip().lower() == "running"
    history = page.get_by_test_id("history")
    assert history.locator("tr", has_text="Moved to another step").count() == 1
    admin_browse.shot("moved-back")

    (again,) = open_tasks(site, instance_id)  # the route was decided again: one approval waits
    assert again.element_id == "approve_invoice" and again.id != first.id
    run_worker(site, days=0)
    mails_before = len(subjects(site))
    run_worker(site, days=2.01)  # two days later the reminder fires, once
    reminders = [s for s in subjects(site)[mails_before:] if "remind" in s.lower() or "herinner" in s.lower()]
    assert len(reminders) == 1, subjects(site)

    with site.host.db.unit_of_work() as session:
        tasks.approve(session, site.host, actor=Actor.system(again.environment_id, "piet"), task_id=again.id,
                      comment="approved after the new route")
    page.reload()
    assert page.get_by_test_id("instance-status").inner_text().strip().lower() == "completed"
    assert open_tasks(site, instance_id) == []
    admin_browse.shot("completed")
