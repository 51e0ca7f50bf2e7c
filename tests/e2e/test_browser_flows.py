"""The people's stories in a real browser: designer, creditors, administrator, auditor."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.instances.models import ProcessInstance
from server.invoices import service as invoices
from server.jobs.worker import Worker
from server.tasks.models import HumanTask
from tests.e2e.conftest import Browse
from tests.e2e.site import Site

SAMPLES = {p.name: p for p in demo_invoice_paths()}


def _ingest(site: Site, name: str) -> int:
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=SAMPLES[name].read_bytes(),
                             filename=name, source="web")
    assert result.instance_id is not None, result
    return result.instance_id


def _open_task(site: Site, instance_id: int) -> HumanTask:
    with site.host.db.unit_of_work() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.status.in_(("open", "claimed")))).one()
        session.expunge(task)
        return task


def test_designer_changes_the_routing_table_and_deploys(browse: Browse) -> None:
    page = browse.login("designer")
    page.get_by_role("link", name="Designer").click()
    page.get_by_role("link", name="purchase_invoice").click()
    page.locator("li", has_text="invoice_approval.dmn").get_by_role("link", name="Edit").click()
    page.wait_for_selector("#editor[data-ready='true']")
    cell = page.locator(".tjs-table td", has_text='"creditors"').first
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type('"finance"')
    page.locator("h1").click()  # leave the cell so dmn-js commits the edit
    browse.shot("edited")
    page.get_by_role("button", name="Deploy new version").click()
    status = page.locator("#status")
    status.filter(has_text=re.compile("Deployed as version")).wait_for()
    version = int(status.get_attribute("data-deployed-version") or 0)
    assert version >= 2
    page.goto(f"{browse.base_url}/designer/purchase_invoice/compare?a={version - 1}&b={version}")
    assert '"finance"' in page.content()
    assert not [e for e in browse.errors if "Content Security Policy" in e], browse.errors


def test_a_deploy_error_is_shown_next_to_the_element(browse: Browse) -> None:
    page = browse.login("designer")
    page.goto(f"{browse.base_url}/designer/purchase_invoice/edit/bpmn/web_invoice.bpmn")
    page.wait_for_selector("#editor[data-ready='true']")
    page.locator("[data-element-id='route']").click()
    page.locator("#properties .bio-properties-panel-group-header", has_text="Implementation").click()
    field = page.get_by_label("Decision reference")
    field.fill("no_such_table")
    field.press("Tab")
    page.get_by_role("button", name="Deploy new version").click()
    overlay = page.locator(".deploy-error-overlay[data-element='route']")
    overlay.wait_for()
    assert "no_such_table" in overlay.inner_text()
    assert page.locator("#errors li").count() == 1


def test_an_invoice_is_uploaded_and_a_creditor_approves_it_with_a_comment(browse: Browse, site: Site) -> None:
    page = browse.login("carla")
    page.get_by_role("link", name="Inbox").click()
    page.get_by_label("UBL file (XML)").set_input_files(str(SAMPLES["unknown_bank_account.xml"]))
    page.get_by_role("button", name="Upload").click()
    page.locator(".flash", has_text="Invoice accepted").wait_for()
    browse.shot("uploaded")
    page.get_by_role("link", name="Tasks").first.click()
    page.locator("table a", has_text="PT-2026-0411 · Pieters Transport B.V.").first.click()  # invoice, supplier
    assert page.get_by_test_id("supplier-name").inner_text().strip()
    page.get_by_role("button", name="Claim").click()
    page.get_by_label("Comment").fill("Checked the bank account with the supplier by phone.")
    browse.shot("task")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.locator(".flash", has_text="Task completed").wait_for()
    page.goto(f"{browse.base_url}/tasks?state=done")
    assert page.locator("table a", has_text="PT-2026-0411").count() >= 1


def test_another_disapproves_and_the_supplier_email_lands_in_the_outbox(browse: Browse, site: Site) -> None:
    instance_id = _ingest(site, "preferred_bank_differs.xml")
    task = _open_task(site, instance_id)
    page = browse.login("carla")
    page.goto(f"{browse.base_url}/tasks/{task.id}")
    page.get_by_label("Comment").fill("The bank account is not the one we know.")
    page.get_by_role("button", name="Disapprove").click()
    page.locator(".flash", has_text="Task completed").wait_for()
    Worker(site.host, name="e2e").run_once()
    mails = list(site.settings.outbox.glob("*"))
    assert mails, "no e-mail in the outbox"
    assert any("not the one we know" in m.read_text(errors="replace") or "disapprov" in m.read_text(errors="replace")
               .lower() for m in mails)


def test_an_admin_moves_an_instance_back_a_step(browse: Browse, site: Site) -> None:
    instance_id = _ingest(site, "unknown_administration.xml")
    task = _open_task(site, instance_id)
    with site.host.db.unit_of_work() as session:
        from server.tasks import service as tasks

        env_id = task.environment_id
        tasks.approve(session, site.host, actor=Actor.system(env_id, "tests"), task_id=task.id, comment="ok")
    page = browse.login("admin")
    page.goto(f"{browse.base_url}/instances/{instance_id}")
    page.wait_for_selector("#diagram[data-ready='true']")
    assert page.locator("#diagram .djs-element.active").count() >= 1
    assert page.locator("#diagram .djs-element.done").count() >= 1
    browse.shot("before-move")
    form = page.get_by_test_id("move-form")
    form.get_by_label("Step").select_option("approve")
    form.get_by_label("Reason").fill("The approver asked to look again.")
    form.get_by_role("button", name="Move").click()
    page.locator(".flash", has_text="Done").wait_for()
    reopened = _open_task(site, instance_id)
    assert reopened.element_id == "approve"
    with site.host.db.unit_of_work() as session:
        assert session.get(ProcessInstance, instance_id).status == "running"  # type: ignore[union-attr]


def test_an_auditor_exports_the_log(browse: Browse) -> None:
    page = browse.login("audrey")
    page.get_by_role("link", name="Audit log").click()
    with page.expect_download() as info:
        page.get_by_test_id("export-csv").click()
    download: Any = info.value
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("seq,at,actor_type,actor,action")
    assert "user.created" in text
    with page.expect_download() as info:
        page.get_by_test_id("export-json").click()
    assert info.value.suggested_filename == "audit-log.json"


def test_the_task_list_works_on_a_phone(browse: Browse) -> None:
    browse.page.set_viewport_size({"width": 390, "height": 844})
    page = browse.login("carla")
    assert page.get_by_role("link", name="Tasks").first.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways on a phone ({width}px)"
