"""The administrator operates running work in a real browser, as in Camunda's Cockpit: repairs the data
that made a step fail and retries the incident until the invoice is booked; fires a reminder timer
now and finds the reminder in the outbox once the worker has run."""
from __future__ import annotations

import datetime as dt
import json
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
from server.invoices import service as invoices
from server.jobs.worker import Worker
from server.tasks import service as tasks
from server.tasks.models import HumanTask
from tests.e2e.conftest import Browse, browsing, served
from tests.e2e.site import Site, build_site

JOB_MODELS = Path(__file__).resolve().parents[1] / "data" / "bpmn" / "jobs"


@pytest.fixture(scope="module")
def cockpit_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The web test model as purchase_invoice, and the approval with a reminder after an hour."""
    site = build_site(Path(tmp_path_factory.mktemp("cockpit-story")))
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, site.host, actor=Actor.system(env_id, "tests"), key="approval_reminder",
                         bpmn={"approval_reminder.bpmn": (JOB_MODELS / "approval_reminder.bpmn").read_bytes()})
    yield site
    site.host.db.dispose()


@pytest.fixture(scope="module")
def cockpit_url(cockpit_site: Site) -> Iterator[str]:
    with served(cockpit_site) as url:
        yield url


@pytest.fixture
def admin_browse(browser: Any, cockpit_url: str, request: pytest.FixtureRequest) -> Iterator[Browse]:
    with browsing(browser, cockpit_url, request) as session:
        yield session


def env_id(site: Site) -> int:
    with site.host.db.unit_of_work() as session:
        return session.scalars(select(Environment.id).where(Environment.name == "default")).one()


def run_worker(site: Site) -> None:
    """The job worker at the present time: due timers fire, mail goes to the outbox."""
    now = utcnow() + dt.timedelta(seconds=1)
    worker = Worker(site.host, name="e2e-cockpit", clock=lambda: now)
    for _ in range(50):
        if not worker.run_once():
            return
    raise AssertionError("the worker kept finding due jobs")


def subjects(site: Site) -> list[str]:
    return [" ".join(str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]).split())
            for p in sorted(site.settings.outbox.glob("*.eml"))]


def open_task(site: Site, instance_id: int) -> HumanTask:
    with site.host.db.unit_of_work() as session:
        (task,) = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.status.in_(("open", "claimed"))))
        session.expunge(task)
        return task


def test_an_admin_repairs_a_bad_variable_and_retries_the_incident_to_completion(admin_browse: Browse,
                                                                               cockpit_site: Site) -> None:
    site = cockpit_site
    sample = next(p for p in demo_invoice_paths() if p.name == "unknown_bank_account.xml")
    received = invoices.ingest(site.host, actor=Actor.system(env_id(site), "tests"), content=sample.read_bytes(),
                               filename=sample.name, source="web")
    assert received.invoice_id is not None
    with site.host.db.unit_of_work() as session:  # started by a script with a mistyped invoice id
        broken = instances.start(session, site.host, actor=Actor.system(env_id(site), "script"),
                                 key="purchase_invoice", data={"invoice_id": received.invoice_id + 10**6})
        instance_id = broken.id

    page = admin_browse.login("admin")
    page.goto(f"{admin_browse.base_url}/instances/{instance_id}")
    page.wait_for_selector("#diagram[data-ready='true']")
    assert page.get_by_test_id("instance-status").inner_text().strip().lower() == "failed"
    form = page.get_by_test_id("variables-form")
    shown = json.loads(form.get_by_label("Variables (JSON)").input_value())
    form.get_by_label("Variables (JSON)").fill(json.dumps({**shown, "invoice_id": received.invoice_id}, indent=2))
    form.get_by_label("Reason").fill("The script mistyped the invoice id.")
    form.get_by_role("button", name="Save data").click()
    page.locator(".flash", has_text="set_variables").wait_for()
    assert json.loads(page.get_by_test_id("instance-data").text_content())["invoice_id"] == received.invoice_id
    admin_browse.shot("repaired")

    page.get_by_placeholder("Reason").first.wait_for()
    retry = page.locator("form", has=page.get_by_role("button", name="Retry failed step"))
    retry.get_by_placeholder("Reason").fill("The invoice id is right now.")
    retry.get_by_role("button", name="Retry failed step").click()
    page.locator(".flash", has_text="running").wait_for()
    history = page.get_by_test_id("history")
    assert history.locator("tr", has_text="Process data repaired").count() == 1
    assert history.locator("tr", has_text="Failed step retried").count() == 1

    approval = open_task(site, instance_id)
    with site.host.db.unit_of_work() as session:
        tasks.approve(session, site.host, actor=Actor.system(approval.environment_id, "carla"), task_id=approval.id,
                      comment="fine after the repair")
    booking = open_task(site, instance_id)
    with site.host.db.unit_of_work() as session:
        tasks.complete(session, site.host, actor=Actor.system(booking.environment_id, "carla"), task_id=booking.id,
                       data={})
    page.reload()
    assert page.get_by_test_id("instance-status").inner_text().strip().lower() == "completed"
    admin_browse.shot("completed")


def test_an_admin_fires_a_reminder_now_and_the_mail_appears_in_the_outbox(admin_browse: Browse,
                                                                         cockpit_site: Site) -> None:
    site = cockpit_site
    with site.host.db.unit_of_work() as session:
        instance_id = instances.start(session, site.host, actor=Actor.system(env_id(site), "tests"),
                                      key="approval_reminder", data={"invoice_number": "F-2026-77"}).id
    run_worker(site)  # whatever is due already (nothing of the reminder: it is an hour away)
    before = len(subjects(site))

    page = admin_browse.login("admin")
    page.goto(f"{admin_browse.base_url}/instances/{instance_id}")
    jobs = page.get_by_test_id("jobs")
    row = jobs.locator("tr", has_text="remind_after_1h")
    assert "pending" in row.inner_text()
    row.get_by_role("button", name="Fire now").click()
    page.locator(".flash", has_text="is due at").wait_for()
    admin_browse.shot("fired")

    run_worker(site)  # the embedded worker's next poll
    reminders = [s for s in subjects(site)[before:] if "remind" in s.lower() or "herinner" in s.lower()]
    assert len(reminders) == 1, subjects(site)
    page.reload()
    history = page.get_by_test_id("history")
    assert history.locator("tr", has_text="Timer fired by hand").count() == 1
    assert history.locator("tr", has_text="Deadline reached").count() == 1
    assert "done" in page.get_by_test_id("jobs").locator("tr", has_text="remind_after_1h").inner_text()
    assert page.get_by_test_id("instance-status").inner_text().strip().lower() == "running"  # approval still waits


def test_an_admin_finds_incidents_by_cause_follows_one_to_its_step_fixes_it_and_retries_all(
        admin_browse: Browse, cockpit_site: Site) -> None:
    site = cockpit_site
    sample = next(p for p in demo_invoice_paths() if p.name == "auto_approve_small_difference.xml")
    received = invoices.ingest(site.host, actor=Actor.system(env_id(site), "tests"), content=sample.read_bytes(),
                               filename=sample.name, source="web")
    assert received.invoice_id is not None
    script = Actor.system(env_id(site), "script")
    with site.host.db.unit_of_work() as session:  # two started by a script that forgot the invoice
        broken = [instances.start(session, site.host, actor=script,
                                  key="purchase_invoice", data={"source": "script"}).id for _ in range(2)]

    page = admin_browse.login("admin")
    page.goto(f"{admin_browse.base_url}/instances/incidents")
    row = page.get_by_test_id("cause-no_invoice")
    assert row.get_by_test_id("cause-link").inner_text() == "the process has no invoice"
    assert row.get_by_test_id("cause-count").inner_text() == "2"
    assert "purchase_invoice · match: 2" in row.inner_text()  # where: the model and its element
    admin_browse.shot("by-cause")

    row.get_by_test_id("cause-link").click()  # the instances with that cause
    page.get_by_test_id("cause-filter").wait_for()
    listed = {int(a.inner_text().lstrip("#")) for a in page.locator("table a[href*='/instances/']").all()}
    assert listed == set(broken)

    page.goto(f"{admin_browse.base_url}/instances/{broken[0]}")
    page.wait_for_selector("#diagram[data-ready='true']")
    incident = page.get_by_test_id("incidents").locator("li").first
    assert incident.get_by_test_id("incident-cause").inner_text() == "the process has no invoice"
    technical = incident.get_by_test_id("incident-technical")
    assert not technical.locator("code").is_visible()
    technical.get_by_text("Technical details").click()  # the technical detail, behind a toggle
    assert technical.locator("code").inner_text() == "service 'match_invoice' failed: CausedError: invoice None not found"
    assert technical.get_by_test_id("incident-stack").is_visible()  # and the trace, for admins
    incident.get_by_role("link", name="Show on the diagram").click()
    page.wait_for_selector("#diagram[data-focused='match']")
    assert page.locator(".djs-element.focus[data-element-id='match']").count() == 1
    admin_browse.shot("focused")

    form = page.get_by_test_id("variables-form")  # the fix: the invoice the script forgot
    shown = json.loads(form.get_by_label("Variables (JSON)").input_value())
    form.get_by_label("Variables (JSON)").fill(json.dumps({**shown, "invoice_id": received.invoice_id}))
    form.get_by_label("Reason").fill("The script forgot the invoice.")
    form.get_by_role("button", name="Save data").click()
    page.locator(".flash", has_text="set_variables").wait_for()

    page.goto(f"{admin_browse.base_url}/instances/incidents")
    row = page.get_by_test_id("cause-no_invoice")
    row.get_by_placeholder("Reason").fill("Invoices repaired where we could.")
    row.get_by_role("button", name="Retry all").click()
    flash = page.locator(".flash", has_text="retried")
    assert flash.inner_text().strip() == "the process has no invoice: retried 1, failed again 1, refused 0."
    assert page.get_by_test_id("cause-no_invoice").get_by_test_id("cause-count").inner_text() == "1"
    with site.host.db.unit_of_work() as session:
        assert instances.get_instance(session, script.environment_id, broken[0]).status == "running"

    page.get_by_role("button", name="NL", exact=True).click()  # the Dutch page says the cause in Dutch
    page.wait_for_load_state()
    nl_row = page.get_by_test_id("cause-no_invoice")
    assert nl_row.get_by_test_id("cause-link").inner_text() == "het proces heeft geen factuur"
    assert nl_row.get_by_role("button", name="Alles opnieuw proberen").is_visible()
    admin_browse.shot("dutch")
    page.get_by_role("button", name="EN", exact=True).click()
