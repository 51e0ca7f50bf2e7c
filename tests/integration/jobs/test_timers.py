"""Boundary timers fire through the job worker on the worker's clock, never a sleeping thread,
and a suspended instance's timers wait until it is resumed."""
from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from server.instances import service as instances
from server.instances.models import ProcessInstance
from server.jobs.worker import Worker
from server.tasks import service as tasks
from server.tasks.models import HumanTask
from tests.integration.jobs.support import FakeClock, deploy, drain, jobs_of, seed_people


@pytest.fixture
def started(host):
    system = seed_people(host)
    deploy(host, system, "approval_reminder")
    with host.db.unit_of_work() as session:
        instance_id = instances.start(session, host, actor=system, key="approval_reminder",
                                      data={"escalate_to": "group:managers"}).id
    return system, instance_id


def outbox_subjects(host) -> list[tuple[str, str]]:
    """(recipient, subject) of every delivered message, in delivery order."""
    found = []
    for path in sorted(host.settings.outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append((str(message["To"]), str(message["Subject"])))
    return found


def open_tasks(host, instance_id) -> list[tuple[str, str]]:
    with host.db.unit_of_work() as session:
        return [(t.element_id, t.status) for t in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
            .order_by(HumanTask.id))]


def test_the_reminder_timer_fires_after_an_hour_on_the_workers_clock(host, started):
    _, instance_id = started
    clock = FakeClock()
    worker = Worker(host, clock=clock)
    drain(worker)  # the task-assigned mails
    assert outbox_subjects(host) == [("Anna de Vries <anna@example.com>", "Nieuwe taak: Approve invoice"),
                                     ("Bob Smith <bob@example.com>", "New task: Approve invoice")]
    clock.advance(minutes=59)
    assert drain(worker) == 0
    clock.advance(minutes=2)
    assert drain(worker) == 3  # the timer, then one reminder per creditor
    assert outbox_subjects(host)[2:] == [
        ("Anna de Vries <anna@example.com>", "Herinnering: Approve invoice staat nog open"),
        ("Bob Smith <bob@example.com>", "Reminder: Approve invoice is still open")]
    assert open_tasks(host, instance_id) == [("approve", "open")]  # non-interrupting: still there
    timers = {j.payload["element_id"]: j.status for j in jobs_of(host, "timer")}
    assert timers == {"remind_after_1h": "done", "escalate_after_1d": "pending"}


def test_the_escalation_timer_moves_the_task_to_the_managers_after_a_day(host, started):
    _, instance_id = started
    clock = FakeClock()
    worker = Worker(host, clock=clock)
    clock.advance(days=1, minutes=1)
    drain(worker)
    assert open_tasks(host, instance_id) == [("escalated_approval", "open")]
    assert ("Maria Jansen <maria@example.com>",
            "Escalatie: Approve invoice is niet op tijd afgehandeld") in outbox_subjects(host)


def test_a_suspended_instance_keeps_its_timer_until_it_is_resumed(host, started):
    _, instance_id = started
    clock = FakeClock()
    worker = Worker(host, clock=clock)
    drain(worker)
    with host.db.unit_of_work() as session:
        session.get(ProcessInstance, instance_id).status = "suspended"
    clock.advance(hours=2)
    drain(worker)
    reminder = next(j for j in jobs_of(host, "timer") if j.payload["element_id"] == "remind_after_1h")
    assert (reminder.status, reminder.attempts) == ("pending", 0) and reminder.due_at > clock.now
    assert len(outbox_subjects(host)) == 2  # only the task-assigned mails
    with host.db.unit_of_work() as session:
        session.get(ProcessInstance, instance_id).status = "running"
    clock.advance(minutes=2)
    drain(worker)
    assert [s for _, s in outbox_subjects(host)][2:] == ["Herinnering: Approve invoice staat nog open",
                                                         "Reminder: Approve invoice is still open"]


def test_a_timer_of_a_completed_task_does_nothing(host, started):
    system, instance_id = started
    with host.db.unit_of_work() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)).one()
        tasks.complete(session, host, actor=system, task_id=task.id, data={"approved": True})
    clock = FakeClock()
    worker = Worker(host, clock=clock)
    clock.advance(days=2)
    drain(worker)
    # Cancelled when the instance completed: a finished instance leaves no pending timer behind.
    assert {j.status for j in jobs_of(host, "timer")} == {"cancelled"}
    assert [s for _, s in outbox_subjects(host)] == ["Nieuwe taak: Approve invoice", "New task: Approve invoice"]
    with host.db.unit_of_work() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"
