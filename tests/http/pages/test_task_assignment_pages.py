"""The pages that hand tasks on (reassign on the instance page, delegate and unclaim on the task page)
refuse whom the API refuses, and an unclaimed reassigned task goes back to its group."""
from __future__ import annotations

from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from server.tasks.models import HumanTask
from tests.e2e.site import Site, csrf

_SEQ = iter(range(1, 1000))


def creditors_task(site: Site) -> HumanTask:
    """A fresh approval task for the creditors group (carla)."""
    xml = next(p for p in demo_invoice_paths() if p.name == "unknown_bank_account.xml").read_text("utf-8")
    xml = xml.replace("<cbc:ID>PT-2026-0411</cbc:ID>", f"<cbc:ID>PT-PAGES-{next(_SEQ)}</cbc:ID>", 1)
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
    result = invoices.ingest(site.host, actor=Actor.system(env_id, "tests"), content=xml.encode(), source="web")
    assert result.instance_id is not None, result
    return task_of(site, result.instance_id)


def task_of(site: Site, instance_id: int) -> HumanTask:
    with site.host.db.unit_of_work() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()


def post(client, page: str, url: str, data: dict[str, str]):
    return client.post(url, data={"csrf_token": csrf(client.get(page).text), **data}, follow_redirects=True)


def test_the_reassign_form_refuses_an_unknown_or_ineligible_login_and_names_it(site: Site) -> None:
    task = creditors_task(site)
    admin, page = site.client("admin"), f"/instances/{task.instance_id}"
    url = f"{page}/admin/reassign"
    for login in ("nobody", "audrey"):
        shown = post(admin, page, url, {"task_id": str(task.id), "assignee": login, "reason": "holiday"})
        assert login in shown.text and "Done: reassign" not in shown.text
        assert task_of(site, task.instance_id).assignee is None
    shown = post(admin, page, url, {"task_id": str(task.id), "assignee": "piet", "reason": "holiday"})
    assert task_of(site, task.instance_id).assignee == "piet"
    # piet gives it back from the task page: it returns to creditors, not to everyone
    piet = site.client("piet")
    post(piet, f"/tasks/{task.id}", f"/tasks/{task.id}/unclaim", {})
    back = task_of(site, task.instance_id)
    assert (back.assignee, back.candidate_groups) == (None, ["creditors"])
    erik = site.client("erik")
    assert erik.get(f"/tasks/{task.id}").status_code == 404


def test_the_delegate_form_refuses_someone_who_may_not_act_on_tasks(site: Site) -> None:
    task = creditors_task(site)
    carla = site.client("carla")
    shown = post(carla, f"/tasks/{task.id}", f"/tasks/{task.id}/delegate", {"to_user": "audrey"})
    assert "audrey" in shown.text
    assert task_of(site, task.instance_id).status == "open"
    post(carla, f"/tasks/{task.id}", f"/tasks/{task.id}/delegate", {"to_user": "maria"})
    assert task_of(site, task.instance_id).delegated_to == "maria"
