"""The approval task page in a real browser, on the shipped purchase_invoice model and its form: the reason
field is the disapproval's, typed input survives an error, the form reads well, and the approver's day."""
from __future__ import annotations

import email
import itertools
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.instances import service as instances
from server.instances.shipped import shipped_models
from server.invoices import service as invoices
from server.jobs.worker import Worker
from server.tasks.models import HumanTask
from tests.e2e.conftest import Browse, served
from tests.e2e.site import Site, build_site

SAMPLES = {p.name: p for p in demo_invoice_paths()}
REASON_LABEL = "Reason for disapproval (sent to the supplier)"
_NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site running the shipped purchase_invoice model (its invoice_approval form, its disapproval mail)."""
    built = build_site(Path(tmp_path_factory.mktemp("task-page")))
    model = next(m for m in shipped_models() if m.key == "purchase_invoice")
    with built.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        instances.deploy(session, built.host, actor=Actor.system(env_id, "tests"), key=model.key, bpmn=model.bpmn,
                         dmn=model.dmn, forms=model.forms)
    yield built
    built.host.db.dispose()


@pytest.fixture(scope="module")
def base_url(site: Site) -> Iterator[str]:
    with served(site) as url:
        yield url


def creditors_task(site: Site, sample: str = "preferred_bank_differs.xml") -> HumanTask:
    """A fresh approval task for the creditors (carla), on an invoice of its own number."""
    xml = SAMPLES[sample].read_text("utf-8")
    number = xml.split("<cbc:ID>", 1)[1].split("</cbc:ID>", 1)[0]
    xml = xml.replace(f"<cbc:ID>{number}</cbc:ID>", f"<cbc:ID>{number}-{next(_NUMBERS)}</cbc:ID>", 1)
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=xml.encode(), source="web")
    assert result.instance_id is not None, result
    return task_of(site, result.instance_id)


def task_of(site: Site, instance_id: int) -> HumanTask:
    with site.host.db.unit_of_work() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                               .order_by(HumanTask.id.desc())).first()
        assert task is not None
        session.expunge(task)
        return task


def fresh(site: Site, task: HumanTask) -> HumanTask:
    with site.host.db.unit_of_work() as session:
        found = session.get(HumanTask, task.id)
        assert found is not None
        session.expunge(found)
        return found


def delivered_mails(site: Site) -> list[Any]:
    """Run the worker until the queue is empty, then read every message in the outbox."""
    worker = Worker(site.host, name="e2e-task-page")
    for _ in range(10):
        if not worker.run_once():
            break
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(site.settings.outbox.glob("*.eml"))]


def refusals(site: Site) -> list[Any]:
    """The disapproval mails delivered so far (in the supplier's language: English or Dutch)."""
    return [m for m in delivered_mails(site) if any(words in str(m["Subject"])
                                                    for words in ("not accepted", "niet geaccepteerd"))]


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def open_task(browse: Browse, task: HumanTask) -> Any:
    page = browse.page
    page.goto(f"{browse.base_url}/tasks/{task.id}")
    return page


def test_the_reason_field_shows_and_is_required_only_for_a_disapproval(browse: Browse, site: Site) -> None:
    approved, disapproved = creditors_task(site), creditors_task(site)
    browse.login("carla")
    page = open_task(browse, approved)
    reason = page.get_by_label(REASON_LABEL)
    assert not reason.is_visible()  # nothing to give a reason for yet
    page.get_by_role("button", name="Approve", exact=True).click()
    page.locator(".flash", has_text="Task completed").wait_for()
    assert fresh(site, approved).outcome["decision"] == "approve"

    page = open_task(browse, disapproved)
    page.get_by_role("button", name="Disapprove").click()
    assert reason.is_visible() and reason.evaluate("el => el.required")
    assert page.url.endswith(f"/tasks/{disapproved.id}")  # the browser held the empty form back
    assert fresh(site, disapproved).status == "open"
    page.get_by_role("button", name="Approve", exact=True).click()  # changing one's mind hides it again
    page.locator(".flash", has_text="Task completed").wait_for()
    assert fresh(site, disapproved).outcome["decision"] == "approve"


def test_typed_input_survives_an_error_and_the_supplier_reads_the_reason_not_the_comment(
        browse: Browse, site: Site) -> None:
    task = creditors_task(site)
    browse.login("carla")
    page = open_task(browse, task)
    page.get_by_label("Comment", exact=True).fill("Internal: Piet says the order was cancelled.")
    page.get_by_role("button", name="Disapprove").click()
    page.get_by_label(REASON_LABEL).fill("x" * 2001)  # longer than the form allows
    page.get_by_role("button", name="Disapprove").click()
    page.get_by_test_id("form-error").wait_for()
    assert page.get_by_label("Comment", exact=True).input_value() == "Internal: Piet says the order was cancelled."
    assert page.get_by_label(REASON_LABEL).input_value() == "x" * 2001
    assert page.get_by_label(REASON_LABEL).is_visible()
    page.get_by_label(REASON_LABEL).fill("Order 4711 was cancelled; please credit this invoice.")
    page.get_by_role("button", name="Disapprove").click()
    page.locator(".flash", has_text="Task completed").wait_for()
    outcome = fresh(site, task).outcome
    assert outcome["reason"] == "Order 4711 was cancelled; please credit this invoice."
    assert outcome["comment"] == "Internal: Piet says the order was cancelled."
    mails = refusals(site)
    texts = [text_of(m) for m in mails]
    assert any("Order 4711 was cancelled; please credit this invoice." in t for t in texts), texts
    assert not any("Piet says" in t or "Piet says" in str(m.get_body(("html",)).get_content())
                   for t, m in zip(texts, mails, strict=True))


def test_the_form_reads_as_text_with_read_only_fields_and_a_done_task_says_who_and_what(
        browse: Browse, site: Site) -> None:
    task = creditors_task(site)
    browse.login("carla")
    page = open_task(browse, task)
    form = page.locator("#task-form")
    assert "###" not in form.inner_text()
    assert form.get_by_role("heading", name="Approve the invoice").is_visible()
    checks = page.get_by_label("Field checks")
    assert not checks.is_editable()
    looks = checks.evaluate("el => getComputedStyle(el).borderStyle")
    assert looks == "dashed" and page.get_by_label("Comment", exact=True).evaluate(
        "el => getComputedStyle(el).borderStyle") != "dashed"
    page.get_by_label("Comment", exact=True).fill("Checked with the supplier.")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.locator(".flash", has_text="Task completed").wait_for()
    page = open_task(browse, task)
    assert "Approved by carla on" in page.get_by_test_id("outcome").inner_text()
    assert "Checked with the supplier." in page.get_by_test_id("outcome").inner_text()
    assert "carla" in page.get_by_test_id("completed-by").inner_text()
    assert "{" not in page.get_by_test_id("outcome").inner_text()  # words, not a dict


def test_the_approvers_day(browse: Browse, site: Site) -> None:
    """Carla approves one invoice, disapproves one with a reason the supplier reads, and delegates one."""
    tasks = [creditors_task(site, sample) for sample in
             ("unknown_bank_account.xml", "preferred_bank_differs.xml", "unknown_administration.xml")]
    page = browse.login("carla")
    page.get_by_role("link", name="Tasks").first.click()
    for task in tasks:
        assert page.locator(f"a[href='/tasks/{task.id}']").count() >= 1
    first, second, third = tasks

    page.locator(f"a[href='/tasks/{first.id}']").first.click()
    page.get_by_role("button", name="Claim").click()
    page.get_by_role("button", name="Approve", exact=True).click()
    page.locator(".flash", has_text="Task completed").wait_for()

    page.locator(f"a[href='/tasks/{second.id}']").first.click()
    page.get_by_label("Comment", exact=True).fill("Do not tell them: we lost the delivery note.")
    page.get_by_role("button", name="Disapprove").click()
    page.get_by_label(REASON_LABEL).fill("The bank account on the invoice is not the one we know.")
    page.get_by_role("button", name="Disapprove").click()
    page.locator(".flash", has_text="Task completed").wait_for()

    page.locator(f"a[href='/tasks/{third.id}']").first.click()
    page.get_by_label("Colleague (login)").fill("frank")
    page.get_by_role("button", name="Delegate").click()
    page.locator(".flash", has_text="Task delegated to frank").wait_for()

    done = [fresh(site, t) for t in tasks]
    assert [(t.status, t.completed_by) for t in done[:2]] == [("completed", "carla"), ("completed", "carla")]
    assert [t.outcome["decision"] for t in done[:2]] == ["approve", "disapprove"]
    assert (done[2].status, done[2].delegated_to, done[2].owner) == ("delegated", "frank", "carla")
    mails = [text_of(m) for m in refusals(site)]
    assert any("The bank account on the invoice is not the one we know." in t for t in mails), mails
    assert not any("delivery note" in t for t in mails)
    frank = browse.context.browser.new_context()
    try:
        other = Browse.__new__(Browse)
        other.base_url, other.context, other.errors = browse.base_url, frank, []
        other.page = frank.new_page()
        other.login("frank")
        other.page.goto(f"{browse.base_url}/tasks")
        assert other.page.locator(f"a[href='/tasks/{third.id}']").count() >= 1
    finally:
        frank.close()
