"""The `service_retry` and `reminder` job kinds, end to end through the worker."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from server.host import open_host
from server.instances import service as instances
from server.instances.models import Incident, ProcessInstance
from server.instances.registry import default_services
from server.jobs import service as jobs
from server.jobs.handlers import default_handlers
from server.jobs.worker import Worker
from server.tasks import service as tasks
from server.tasks.models import HumanTask
from tests.integration.jobs.support import JOB_MODELS, FakeClock, drain, jobs_of, seed_people

SCRIPT_TEMPLATE = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "script_template.bpmn"


@pytest.fixture
def flaky_host(settings):
    """A host whose `erp_post` service fails on its first call only (a remote system that was down)."""
    calls = []

    def erp_post(call):
        calls.append(call.element_id)
        if len(calls) == 1:
            raise ConnectionError("ERP unreachable")
        return {"booked": True}

    host = open_host(settings, services=default_services().merged([("erp_post", erp_post)]))
    yield host
    host.db.dispose()


def test_a_service_retry_job_reruns_the_failed_step_and_resolves_the_incident(flaky_host):
    host = flaky_host
    system = seed_people(host)
    bpmn = SCRIPT_TEMPLATE.read_bytes().replace(b"SCRIPT", b"{x: 1}").replace(b"SERVICE", b"erp_post")
    with host.db.unit_of_work() as session:
        instances.deploy(session, host, actor=system, key="book", bpmn={"book.bpmn": bpmn})
        instance_id = instances.start(session, host, actor=system, key="book").id
    with host.db.unit_of_work() as session:
        incident = session.scalars(select(Incident).where(Incident.instance_id == instance_id)).one()
        assert session.get(ProcessInstance, instance_id).status == "failed"
        jobs.schedule_service_retry(session, incident_id=incident.id, environment_id=system.environment_id,
                                    instance_id=instance_id)
    assert drain(Worker(host)) == 1
    with host.db.unit_of_work() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.status == "completed"
        assert session.get(Incident, incident.id).status == "resolved"


def test_a_remind_property_mails_the_candidates_again_only_while_the_task_is_open(host):
    system = seed_people(host)
    bpmn = (JOB_MODELS / "approval_reminder.bpmn").read_bytes().replace(
        b'<camunda:property name="notify" value="assigned" />',
        b'<camunda:property name="remind" value="PT2H" />')
    with host.db.unit_of_work() as session:
        instances.deploy(session, host, actor=system, key="remind", bpmn={"remind.bpmn": bpmn})
        first = instances.start(session, host, actor=system, key="remind", data={"escalate_to": "group:x"}).id
        second = instances.start(session, host, actor=system, key="remind", data={"escalate_to": "group:x"}).id
    with host.db.unit_of_work() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == second)).one()
        tasks.complete(session, host, actor=system, task_id=task.id, data={})
    clock = FakeClock()
    worker = Worker(host, clock=clock, handlers={"reminder": default_handlers()["reminder"]})
    clock.advance(minutes=119)
    assert drain(worker) == 0
    clock.advance(minutes=2)
    assert drain(worker) == 2
    reminders = [(j.instance_id, j.payload["subject"]) for j in jobs_of(host, "mail")]
    assert reminders == [(first, "Herinnering: Approve invoice staat nog open"),
                         (first, "Reminder: Approve invoice is still open")]
