"""A failed service step is retried automatically with backoff; when retries run out it fails for good
and the conversion task starts for the document's sender."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from server.db import utcnow
from server.host import open_host
from server.instances import service as instances
from server.instances.models import Incident, ProcessInstance
from server.instances.registry import default_services
from server.jobs.worker import Worker
from tests.integration.jobs.support import FakeClock, drain, seed_people

SCRIPT_TEMPLATE = Path(__file__).resolve().parents[2] / "data" / "bpmn" / "script_template.bpmn"


def host_with_erp(settings, failures: int):
    """A host whose `erp_post` service fails `failures` times, then works."""
    calls: list[str] = []

    def erp_post(call):
        calls.append(call.element_id)
        if len(calls) <= failures:
            raise ConnectionError(f"ERP unreachable (call {len(calls)})")
        return {"booked": True}

    return open_host(settings, services=default_services().merged([("erp_post", erp_post)])), calls


def start_booking(host) -> int:
    system = seed_people(host)
    bpmn = SCRIPT_TEMPLATE.read_bytes().replace(b"SCRIPT", b"{x: 1}").replace(b"SERVICE", b"erp_post")
    with host.db.unit_of_work() as session:
        instances.deploy(session, host, actor=system, key="book", bpmn={"book.bpmn": bpmn})
        return instances.start(session, host, actor=system, key="book",
                               data={"document_id": None}).id


@pytest.fixture
def clock():
    return FakeClock()


def test_a_step_that_recovers_is_retried_with_backoff_and_its_incident_resolved(settings, clock):
    host, calls = host_with_erp(settings, failures=2)
    instance_id = start_booking(host)
    clock.now = utcnow()  # the first retry was planned from the time of the failure, which a slow start delays
    worker = Worker(host, clock=clock)
    assert drain(worker) == 0  # the first retry waits 30 s
    clock.advance(seconds=31)
    assert drain(worker) == 1 and len(calls) == 2  # failed again: the next retry waits 2 min
    clock.advance(seconds=121)
    assert drain(worker) == 1 and len(calls) == 3
    with host.db.unit_of_work() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()
        assert incident.status == "resolved" and incident.retries_left == 2
    host.db.dispose()


def test_a_step_that_keeps_failing_starts_the_conversion_task_once(settings, clock):
    host, calls = host_with_erp(settings, failures=100)
    instance_id = start_booking(host)
    worker = Worker(host, clock=clock)
    for _ in range(4):
        clock.advance(hours=1)
        drain(worker)
    assert len(calls) == 1 + 3  # the first run and three automatic retries
    with host.db.unit_of_work() as session:
        [incident] = session.scalars(select(Incident).where(Incident.instance_id == instance_id)).all()
        assert incident.status == "open" and incident.retries_left == 0
        assert "call 4" in incident.error
        conversions = session.scalars(select(ProcessInstance).where(
            ProcessInstance.model_key == "conversion_task")).all()
        assert [c.business_key for c in conversions] == [f"incident-{incident.id}"]
        assert session.get(ProcessInstance, instance_id).status == "failed"  # admins can still retry it
    host.db.dispose()
