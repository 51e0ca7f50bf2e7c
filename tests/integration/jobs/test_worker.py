"""The worker's promises on SQLite and PostgreSQL: retries with backoff, give-up with an incident,
work and `done` committed together, leases that expire, and a clean stop."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from server.audit import service as audit
from server.audit.models import AuditEvent
from server.instances import service as instances
from server.instances.models import Incident
from server.jobs import claims
from server.jobs import service as jobs
from server.jobs.models import Job
from server.jobs.types import JobContext, PermanentJobError
from server.jobs.worker import Worker, start_embedded
from server.mail.service import queue_mail
from tests.integration.jobs.support import FakeClock, deploy, seed_people


@pytest.fixture
def system(host):
    return seed_people(host)


def enqueue(host, kind, payload=None, **options):
    with host.db.unit_of_work() as session:
        return jobs.enqueue(session, kind, payload or {}, **options).id


def job_row(host, job_id) -> Job:
    with host.db.unit_of_work() as session:
        return session.get(Job, job_id)


def boom(ctx: JobContext) -> None:
    raise RuntimeError("the remote system is down")


def test_a_failing_job_backs_off_exponentially_then_fails_with_an_incident(host, system):
    deploy(host, system, "approval_reminder")
    with host.db.unit_of_work() as session:
        instance_id = instances.start(session, host, actor=system, key="approval_reminder",
                                      data={"escalate_to": "group:managers"}).id
    job_id = enqueue(host, "boom", {"element_id": "call_erp"}, environment_id=system.environment_id,
                     instance_id=instance_id, max_attempts=3)
    clock = FakeClock()
    worker = Worker(host, clock=clock, handlers={"boom": boom})
    assert worker.run_once() == 1
    first = job_row(host, job_id)
    assert (first.status, first.attempts) == ("pending", 1)
    assert "the remote system is down" in first.last_error
    assert first.due_at == clock.now + claims.Backoff().delay(1)
    clock.advance(seconds=1.9)
    assert worker.run_once() == 0  # not due yet
    clock.advance(seconds=0.2)
    assert worker.run_once() == 1
    assert job_row(host, job_id).due_at == clock.now + claims.Backoff().delay(2)  # 4 s after the 2nd try
    clock.advance(seconds=4)
    assert worker.run_once() == 1
    failed = job_row(host, job_id)
    assert (failed.status, failed.attempts, failed.locked_by) == ("failed", 3, None)
    with host.db.unit_of_work() as session:
        incident = session.scalars(select(Incident).where(Incident.instance_id == instance_id)).one()
        assert incident.element_id == "call_erp" and "the remote system is down" in incident.error
        listed = jobs.list_jobs(session, statuses=("failed",))
        assert [(j.id, j.attempts) for j in listed] == [(job_id, 3)]
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "job.failed")) == 1
    clock.advance(hours=1)
    assert worker.run_once() == 0  # failed jobs stay failed until an admin requeues them
    with host.db.unit_of_work() as session:
        jobs.requeue(session, job_id, now=clock.now)
    assert job_row(host, job_id).status == "pending"


def test_a_permanent_error_fails_at_once(host, system):
    def refuse(ctx: JobContext) -> None:
        raise PermanentJobError("mailbox does not exist")

    job_id = enqueue(host, "refuse", environment_id=system.environment_id)
    Worker(host, handlers={"refuse": refuse}).run_once()
    row = job_row(host, job_id)
    assert (row.status, row.attempts) == ("failed", 1) and "mailbox does not exist" in row.last_error


def test_a_failed_attempt_leaves_none_of_its_work_and_the_retry_commits_it_once(host, system):
    attempts = []

    def flaky(ctx: JobContext) -> None:
        audit.record(ctx.session, actor=ctx.actor, action="test.work_done", target_type="job", target_id=ctx.job.id)
        attempts.append(ctx.job.attempts)
        if len(attempts) == 1:
            raise ConnectionError("dropped halfway")

    job_id = enqueue(host, "flaky", environment_id=system.environment_id)
    clock = FakeClock()
    worker = Worker(host, clock=clock, handlers={"flaky": flaky})
    worker.run_once()
    clock.advance(seconds=2)
    worker.run_once()
    assert attempts == [1, 2] and job_row(host, job_id).status == "done"
    with host.db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "test.work_done")) == 1


def test_a_job_whose_worker_died_is_taken_over_after_the_lease_and_the_dead_one_cannot_finish_it(host, system):
    ran = []
    job_id = enqueue(host, "work", environment_id=system.environment_id)
    clock = FakeClock()
    dead = claims.claim(host.db, worker="dead-worker", now=clock.now, lease=claims.dt.timedelta(seconds=60),
                        limit=5)
    assert [j.id for j in dead] == [job_id]
    survivor = Worker(host, name="survivor", clock=clock, handlers={"work": lambda ctx: ran.append(ctx.job.id)})
    clock.advance(seconds=59)
    assert survivor.run_once() == 0  # the lease still holds
    clock.advance(seconds=2)
    assert survivor.run_once() == 1
    assert ran == [job_id]
    row = job_row(host, job_id)
    assert (row.status, row.attempts) == ("done", 2)
    with host.db.unit_of_work() as session:
        assert claims.finish(session, job_id, worker="dead-worker", now=clock.now) is False


def test_stop_finishes_the_current_job_and_hands_back_the_rest_of_the_batch(host, system):
    ran = []
    ids = [enqueue(host, "work", environment_id=system.environment_id) for _ in range(3)]
    worker = Worker(host, handlers={})

    def work(ctx: JobContext) -> None:
        ran.append(ctx.job.id)
        worker.stop()  # as SIGTERM would, in the middle of a job

    worker.handlers["work"] = work
    worker.run_forever()  # returns after the first job
    assert ran == ids[:1]
    rows = [job_row(host, i) for i in ids]
    assert [(r.status, r.attempts, r.locked_by) for r in rows] == [
        ("done", 1, None), ("pending", 0, None), ("pending", 0, None)]


def test_the_embedded_worker_delivers_queued_mail_in_the_background(host, system):
    with host.db.unit_of_work() as session:
        job_id = queue_mail(session, template="test", to=["ops@example.com"], language="en", context={},
                            environment_id=system.environment_id).id
    worker = start_embedded(host, poll_interval=0.05)
    try:
        deadline = time.monotonic() + 20
        while job_row(host, job_id).status != "done" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        worker.thread.join(10)
    assert job_row(host, job_id).status == "done"
    assert (host.settings.outbox / f"job-{job_id:08d}.eml").exists()
    assert not worker.thread.is_alive()
