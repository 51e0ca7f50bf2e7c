"""One incident, at most one follow-up: however a manual retry and the automatic retries race, the
document's sender gets one conversion task (SQLite and PostgreSQL)."""
from __future__ import annotations

import threading

from sqlalchemy import select

from server.auth.actor import Actor
from server.instances.models import Incident, ProcessInstance
from server.jobs import service as jobs
from server.jobs.models import Job
from server.jobs.worker import Worker
from server.operations import instances as operations
from tests.integration.jobs.support import FakeClock, drain
from tests.integration.jobs.test_automatic_retries import host_with_erp, start_booking


def exhaust_automatic_retries(host, clock, worker, instance_id: int, *, leave: int) -> Incident:
    """Let the automatic retries (due after 30 s, 2 min, 8 min) fail until `leave` are left."""
    for wait in (31, 121, 481)[:3 - leave]:
        clock.advance(seconds=wait)
        assert drain(worker) >= 1  # the retry (and, the last time, the follow-up)
    with host.db.unit_of_work() as session:
        incident = session.scalars(select(Incident).where(Incident.instance_id == instance_id)).one()
        assert incident.retries_left == leave
        return incident


def conversions(host) -> list[str | None]:
    with host.db.unit_of_work() as session:
        return list(session.scalars(select(ProcessInstance.business_key).where(
            ProcessInstance.model_key == "conversion_task")))


def test_a_manual_retry_and_the_leftover_automatic_retry_start_one_conversion_task(settings):
    host, calls = host_with_erp(settings, failures=100)
    clock = FakeClock()
    worker = Worker(host, clock=clock)
    instance_id = start_booking(host)
    incident = exhaust_automatic_retries(host, clock, worker, instance_id, leave=1)
    with host.db.unit_of_work() as session:
        admin = Actor.system(incident.environment_id, "ada")
        view = operations.retry(session, host, actor=admin, instance_id=instance_id, reason="ledger should be back")
    assert view.status == "failed"  # still failing: the retries are used up

    clock.advance(hours=1)  # the automatic retry that was still pending would be due now
    drain(worker)
    assert conversions(host) == [f"incident-{incident.id}"]
    with host.db.unit_of_work() as session:
        leftover = session.scalars(select(Job).where(Job.kind == "service_retry", Job.instance_id == instance_id)
                                   .order_by(Job.id.desc())).first()
        assert leftover is not None and (leftover.status, leftover.last_error) == ("cancelled", "retried by hand")
    host.db.dispose()


def test_two_workers_finishing_racing_retries_start_one_conversion_task(settings):
    host, calls = host_with_erp(settings, failures=100)
    clock = FakeClock()
    worker = Worker(host, clock=clock)
    instance_id = start_booking(host)
    incident = exhaust_automatic_retries(host, clock, worker, instance_id, leave=0)
    drain(worker)
    assert conversions(host) == [f"incident-{incident.id}"]
    # Two more retries failed for good at once (a manual retry and a leftover job on two workers).
    with host.db.unit_of_work() as session:
        for _ in range(2):
            jobs.enqueue(session, "failed_for_good", {"incident_id": incident.id},
                         environment_id=incident.environment_id, instance_id=instance_id)
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        barrier.wait()
        Worker(host, name=name, clock=clock).run_once()
    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    drain(worker)
    assert conversions(host) == [f"incident-{incident.id}"]
    host.db.dispose()
