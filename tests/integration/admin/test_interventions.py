"""Each administrative intervention on a purchase instance, then the instance completes correctly."""
from __future__ import annotations

import datetime as dt

import pytest

from server.db import utcnow
from server.errors import Conflict, Forbidden, InvalidInput, NotFound
from server.instances import admin
from server.operations import instances as operations
from server.jobs.worker import Worker
from tests.support.admin_scenario import token_user


def intervene(purchase, operation, **kwargs):
    with purchase.host.db.unit_of_work() as session:
        return operation(session, purchase.host, actor=purchase.admin, **kwargs)


def run_worker(purchase, days_later: int) -> int:
    """One pass of the real job worker with its clock `days_later` days ahead (the timer waits 3 days)."""
    later = utcnow() + dt.timedelta(days=days_later)
    return Worker(purchase.host, name="test-worker", clock=lambda: later).run_once()


def test_a_suspended_instance_runs_no_step_and_fires_no_timer_until_resumed(purchase):
    iid = purchase.start()
    intervene(purchase, operations.suspend, instance_id=iid, reason="supplier disputes the invoice")
    assert purchase.instance(iid).status == "suspended"
    with pytest.raises(Conflict):
        purchase.complete(iid, "approve", approved=True)
    assert run_worker(purchase, days_later=4) == 1
    assert purchase.open_task(iid, "approve").status == "open"  # the timer was due, but held back
    (job,) = purchase.timer_jobs(iid)
    assert job.status == "pending" and job.due_at > utcnow() + dt.timedelta(days=4)  # rescheduled

    intervene(purchase, operations.resume, instance_id=iid, reason="dispute settled")
    assert run_worker(purchase, days_later=5) == 1
    assert [t.status for t in purchase.tasks(iid, "approve")] == ["cancelled"]
    purchase.complete(iid, "escalate", approved=True)
    assert purchase.instance(iid).status == "completed"
    assert purchase.calls == ["register", "notify", "book"]
    suspended, resumed = purchase.audit(iid, "admin.")
    assert (suspended.action, suspended.actor, suspended.note) == ("admin.suspended", "ada",
                                                                   "supplier disputes the invoice")
    assert (suspended.before, suspended.after) == ({"status": "running"}, {"status": "suspended"})
    assert resumed.before["status"] == "suspended" and resumed.after["status"] == "running"


def test_terminate_closes_the_open_task_and_drops_the_timer_then_a_restart_completes(purchase):
    iid = purchase.start(amount="120.00")
    intervene(purchase, operations.terminate, instance_id=iid, reason="duplicate of INV-0")
    instance = purchase.instance(iid)
    assert (instance.status, instance.end_reason) == ("terminated", "duplicate of INV-0")
    assert [t.status for t in purchase.tasks(iid)] == ["cancelled"]
    assert [j.status for j in purchase.timer_jobs(iid)] == ["cancelled"]

    intervene(purchase, operations.restart, instance_id=iid, element_id="approve", reason="not a duplicate")
    assert purchase.instance(iid).status == "running"
    purchase.complete(iid, "approve", approved=True)
    assert purchase.instance(iid).status == "completed"
    terminated, restarted = purchase.audit(iid, "admin.")
    assert terminated.before == {"status": "running", "open_steps": ["approve"]}
    assert terminated.after == {"status": "terminated", "open_steps": []}
    assert restarted.after == {"status": "running", "open_steps": ["approve"], "restarted_at": "approve"}
    with purchase.host.db.unit_of_work() as session:
        from server.instances import service as instances
        run = instances.load_run(session, purchase.host, instances.get_instance(session, purchase.admin.environment_id,
                                                                                  iid), actor=purchase.admin)
        assert run.data["amount"] == "120.00" and run.data["book_done"]  # its last data carried over


def test_a_failing_service_step_becomes_an_incident_and_a_retry_resolves_it(purchase):
    purchase.book_fails = True
    iid = purchase.start()
    purchase.complete(iid, "approve", approved=True)
    assert purchase.instance(iid).status == "failed"
    (incident,) = purchase.incidents(iid)
    assert (incident.element_id, incident.status, incident.retries_left) == ("book", "open", 3)
    assert "ledger unreachable" in incident.error and "ConnectionError" in incident.stack

    intervene(purchase, operations.retry, instance_id=iid, reason="try again")  # still failing
    (same,) = purchase.incidents(iid)  # the same incident, one automatic retry fewer
    assert (same.id, same.status, same.retries_left) == (incident.id, "open", 2)
    assert purchase.instance(iid).status == "failed"

    purchase.book_fails = False
    intervene(purchase, operations.retry, instance_id=iid, reason="ledger is back")
    assert purchase.instance(iid).status == "completed"
    assert [i.status for i in purchase.incidents(iid)] == ["resolved"]
    assert purchase.calls == ["register", "notify", "book", "book", "book"]
    retried = purchase.audit(iid, "admin.retried")[-1]
    assert retried.before == {"status": "failed", "open_steps": ["book"]}
    assert retried.after["status"] == "running" and retried.after["element"] == "book"


def test_moving_forward_skips_the_steps_between_and_closes_the_approval(purchase):
    iid = purchase.start()
    intervene(purchase, operations.move, instance_id=iid, to_element="book", reason="approved by phone")
    assert purchase.instance(iid).status == "completed"
    assert purchase.calls == ["register", "book"]  # notify was skipped, so it never ran
    assert [t.status for t in purchase.tasks(iid)] == ["cancelled"]
    assert [j.status for j in purchase.timer_jobs(iid)] == ["cancelled"]
    (moved,) = purchase.audit(iid, "admin.moved")
    assert moved.before == {"status": "running", "open_steps": ["approve"]}
    assert moved.after == {"status": "running", "open_steps": ["book"], "direction": "forward",
                           "from": "approve", "to": "book"}
    assert moved.note == "approved by phone"


def test_moving_back_from_a_failed_booking_reopens_the_approval(purchase):
    purchase.book_fails = True
    iid = purchase.start()
    purchase.complete(iid, "approve", approved=True, comment="first")
    intervene(purchase, operations.move, instance_id=iid, to_element="approve", reason="wrong cost centre")
    assert purchase.instance(iid).status == "running"
    assert [i.status for i in purchase.incidents(iid)] == ["resolved"]
    assert purchase.open_task(iid, "approve").status == "open"
    purchase.book_fails = False
    purchase.complete(iid, "approve", approved=True, comment="second")
    assert purchase.instance(iid).status == "completed"
    assert purchase.calls == ["register", "notify", "book", "notify", "book"]
    (moved,) = purchase.audit(iid, "admin.moved")
    assert moved.after["direction"] == "back" and moved.before["status"] == "failed"


def test_restarting_a_completed_step_runs_it_again(purchase):
    iid = purchase.start()
    intervene(purchase, operations.restart_step, instance_id=iid, element_id="register", reason="supplier changed")
    assert purchase.calls == ["register", "register"]
    assert [t.status for t in purchase.tasks(iid, "approve")] == ["cancelled", "open"]
    purchase.complete(iid, "approve", approved=True)
    assert purchase.instance(iid).status == "completed"
    (restarted,) = purchase.audit(iid, "admin.step_restarted")
    assert restarted.after["restarted_step"] == "register" and restarted.note == "supplier changed"


def test_reassigning_a_task_gives_it_to_another_user(purchase):
    bob, _ = token_user(purchase.host, "bob", roles=("user",))
    iid = purchase.start()
    task = purchase.open_task(iid, "approve")
    with purchase.host.db.unit_of_work() as session:
        admin.reassign(session, actor=purchase.admin, task_id=task.id, assignee="bob", reason="carl is away")
    with pytest.raises((Forbidden, NotFound)):  # the task left carl's list
        purchase.complete(iid, "approve", actor=purchase.clerk, approved=True)
    purchase.complete(iid, "approve", actor=bob, approved=True)
    assert purchase.instance(iid).status == "completed"
    (reassigned,) = purchase.audit(iid, "admin.reassigned")
    assert reassigned.before["groups"] == ["approvers"] and reassigned.before["assignee"] is None
    assert reassigned.after["assignee"] == "bob" and reassigned.note == "carl is away"


def test_reassigning_to_a_group_lets_its_members_act(purchase):
    dora, _ = token_user(purchase.host, "dora", roles=("user",), groups=("managers",))
    iid = purchase.start()
    task = purchase.open_task(iid, "approve")
    with purchase.host.db.unit_of_work() as session:
        admin.reassign(session, actor=purchase.admin, task_id=task.id, groups=["managers"], reason="escalation")
    with pytest.raises((Forbidden, NotFound)):  # the task left carl's list
        purchase.complete(iid, "approve", actor=purchase.clerk, approved=True)
    purchase.complete(iid, "approve", actor=dora, approved=False)
    assert purchase.instance(iid).status == "completed"


def test_interventions_need_a_reason_and_the_admin_role(purchase):
    iid = purchase.start()
    with pytest.raises(InvalidInput):
        intervene(purchase, operations.suspend, instance_id=iid, reason="  ")
    with purchase.host.db.unit_of_work() as session, pytest.raises(Forbidden):
        operations.suspend(session, purchase.host, actor=purchase.clerk, instance_id=iid, reason="no")
    with pytest.raises(Conflict):
        intervene(purchase, operations.resume, instance_id=iid, reason="it is not suspended")
    with pytest.raises(Conflict):
        intervene(purchase, operations.move, instance_id=iid, to_element="nowhere", reason="typo")
    assert purchase.audit(iid, "admin.") == []
