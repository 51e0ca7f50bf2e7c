"""Due dates come from the model or the invoice; a boundary timer on a user task becomes a job."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from server.jobs.models import Job


def test_the_models_due_date_expression_sets_the_tasks_due_date(world):
    instance = world.start("routed", {"route_group": "creditors", "due": "2030-05-01T09:00:00+02:00"})
    (task,) = world.tasks(instance)
    assert task.due_at == dt.datetime(2030, 5, 1, 7, 0, tzinfo=dt.UTC)


def test_without_one_the_invoices_payment_due_date_minus_the_margin_is_used(world):
    # The invoice service puts `approval_due_date` (payment due date minus the margin) in the data.
    instance = world.start("delegation", {"approval_due_date": "2030-06-27"})
    (task,) = world.tasks(instance)
    assert task.due_at == dt.datetime(2030, 6, 27, tzinfo=dt.UTC)


def test_a_boundary_timer_on_the_approval_task_is_scheduled_as_jobs(world):
    before = dt.datetime.now(dt.UTC)
    instance = world.start("reminder", {"approver": "ann"})
    with world.host.db.unit_of_work() as session:
        jobs = session.scalars(select(Job).where(Job.instance_id == instance, Job.kind == "timer")
                               .order_by(Job.due_at)).all()
        timers = [(j.payload["element_id"], j.due_at - before) for j in jobs]
    assert [name for name, _ in timers] == ["remind_timer", "escalate_timer"]
    assert dt.timedelta(hours=47, minutes=59) < timers[0][1] < dt.timedelta(hours=48, minutes=1)
    assert dt.timedelta(days=4, hours=23) < timers[1][1] < dt.timedelta(days=5, minutes=1)
    assert [t.element_id for t in world.tasks(instance, status="open")] == ["approve"]


def test_a_task_can_set_its_own_margin_before_the_invoices_payment_due_date(world):
    instance = world.start("routed", {"route_group": "creditors", "approval_due_date": "2030-06-28",
                                      "invoice": {"due_date": "2030-07-01"}})
    (task,) = world.tasks(instance)
    assert task.due_at == dt.datetime(2030, 6, 26, tzinfo=dt.UTC)  # dueMarginDays=5


def test_the_reminder_fires_first_and_the_escalation_later_hands_the_task_to_the_group(world):
    from server.jobs.worker import Worker

    start = dt.datetime.now(dt.UTC)
    instance = world.start("reminder", {"approver": "ann"})
    Worker(world.host, name="t1", clock=lambda: start + dt.timedelta(hours=49)).run_once()
    assert [(t.element_id, t.status) for t in world.tasks(instance)] == [("approve", "open")]
    assert world.instance_status(instance) == "running"
    Worker(world.host, name="t2", clock=lambda: start + dt.timedelta(days=5, hours=1)).run_once()
    tasks_now = [(t.element_id, t.status, t.candidate_groups) for t in world.tasks(instance)]
    assert tasks_now == [("approve", "cancelled", []), ("escalated", "open", ["creditors"])]
