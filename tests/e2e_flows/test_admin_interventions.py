"""An administrator moves and restarts purchase invoices over the API (the shipped template):
the instance keeps running with the right task, the approval's reminder and escalation timers are
armed for the step that now waits and for no other, and the log tells the true direction."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from server.jobs.models import Job
from tests.e2e_flows.site import Site

BASE = "/api/v1/process-instances"


def intervene(site: Site, instance_id: int, verb: str, expect: int = 200, **body: Any) -> dict[str, Any]:
    response = site.client.post(f"{BASE}/{instance_id}/{verb}", headers=site.auth("admin"),
                                json={"reason": "asked by creditors", **body})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def waiting_at_approval(site: Site) -> int:
    """An invoice with a matching difference, waiting for purchasing (piet) to approve it."""
    instance_id = site.post_invoice("matching_difference.xml")["instance_id"]
    assert [t["element_id"] for t in site.instance(instance_id)["open_tasks"]] == ["approve_invoice"]
    return instance_id


def pending_timers(site: Site, instance_id: int) -> list[Job]:
    with site.host.db.unit_of_work() as session:
        return list(session.scalars(select(Job).where(Job.instance_id == instance_id, Job.kind == "timer",
                                                      Job.status == "pending").order_by(Job.id)))


def timer_elements(site: Site, instance_id: int) -> list[str]:
    return sorted(j.payload["element_id"] for j in pending_timers(site, instance_id))


def last_move(site: Site, instance_id: int) -> dict[str, Any]:
    return [e for e in site.history(instance_id) if e["action"] == "admin.moved"][-1]["after"]


def test_moving_back_to_an_automatic_step_runs_it_again_and_the_approval_waits_once_more(site: Site) -> None:
    instance_id = waiting_at_approval(site)
    for target in ("decide_approval", "match_invoice"):
        view = intervene(site, instance_id, "move", to=target)
        assert view["status"] == "running", view["incidents"]
        assert [i for i in view["incidents"] if i["status"] == "open"] == []
        assert [t["element_id"] for t in view["open_tasks"]] == ["approve_invoice"]
        assert last_move(site, instance_id)["direction"] == "back"
        assert timer_elements(site, instance_id) == ["escalate_after_5_days", "remind_after_2_days"]
    view = intervene(site, instance_id, "restart-step", element_id="decide_approval")
    assert view["status"] == "running" and [t["element_id"] for t in view["open_tasks"]] == ["approve_invoice"]
    assert timer_elements(site, instance_id) == ["escalate_after_5_days", "remind_after_2_days"]
    task = site.task("piet", instance_id)  # the group still sees exactly one task and can finish it
    site.act("piet", task["id"], "approve", {"comment": "ok after all"})
    assert site.instance(instance_id)["status"] == "completed"


def test_a_move_back_to_the_approval_arms_its_reminder_and_cancels_the_escalated_step(site: Site) -> None:
    instance_id = waiting_at_approval(site)
    intervene(site, instance_id, "move", to="escalated_approval")
    assert last_move(site, instance_id)["direction"] == "forward"
    assert timer_elements(site, instance_id) == []  # the approval's timers left with it
    view = intervene(site, instance_id, "move", to="approve_invoice")
    assert last_move(site, instance_id)["direction"] == "back"
    assert [t["element_id"] for t in view["open_tasks"]] == ["approve_invoice"]
    assert timer_elements(site, instance_id) == ["escalate_after_5_days", "remind_after_2_days"]
    site.outbox()  # the task mails of the moves
    before = len(site.outbox())
    site.clock.advance(days=2, minutes=1)
    reminders = [m for m in site.outbox()[before:] if "remind" in m.subject.lower() or "herinner" in m.subject.lower()]
    assert reminders, [m.subject for m in site.outbox()]


def test_a_finished_instance_leaves_no_timer_and_a_restart_arms_only_its_own(site: Site) -> None:
    instance_id = waiting_at_approval(site)
    first_run = {j.id for j in pending_timers(site, instance_id)}
    assert len(first_run) == 2
    site.act("piet", site.task("piet", instance_id)["id"], "approve", {"comment": "fine"})
    assert site.instance(instance_id)["status"] == "completed"
    assert pending_timers(site, instance_id) == []
    site.deliver()
    metrics = site.client.get("/metrics", headers=site.auth("admin")).text
    pending = re.search(r'stroom_jobs\{[^}]*status="pending"\} (\d+)', metrics)
    assert pending is None or int(pending.group(1)) == 0, metrics

    view = intervene(site, instance_id, "restart", element_id="approve_invoice")
    assert view["status"] == "running" and [t["element_id"] for t in view["open_tasks"]] == ["approve_invoice"]
    second_run = pending_timers(site, instance_id)
    assert sorted(j.payload["element_id"] for j in second_run) == ["escalate_after_5_days", "remind_after_2_days"]
    assert not first_run & {j.id for j in second_run}  # the first run's escalation cannot fire the new task


def test_a_terminated_instance_leaves_no_timer(site: Site) -> None:
    instance_id = waiting_at_approval(site)
    view = intervene(site, instance_id, "terminate")
    assert view["status"] == "terminated" and pending_timers(site, instance_id) == []
