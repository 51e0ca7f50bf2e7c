"""Enqueue jobs in the caller's transaction (the transactional outbox) and list them for admins."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.db import utcnow
from server.errors import Conflict, NotFound
from server.jobs.models import Job

OPEN_STATUSES = ("pending", "running")


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, due_at: dt.datetime | None = None,
            environment_id: int | None = None, instance_id: int | None = None,
            max_attempts: int = 8) -> Job:
    """Add a job that becomes visible to workers when this transaction commits."""
    job = Job(kind=kind, payload=payload, due_at=due_at or utcnow(), environment_id=environment_id,
              instance_id=instance_id, max_attempts=max_attempts)
    session.add(job)
    session.flush()
    return job


def cancel_pending(session: Session, job_ids: list[int], *, reason: str) -> None:
    """Cancel these jobs if still pending; one a worker claimed meanwhile is left to that worker."""
    session.execute(update(Job).where(Job.id.in_(job_ids), Job.status == "pending")
                    .values(status="cancelled", finished_at=utcnow(), last_error=reason))


def cancel_incident_retries(session: Session, *, incident_id: int, instance_id: int, reason: str) -> None:
    """Cancel the pending automatic retries of an incident (someone retries it now)."""
    pending = session.execute(select(Job.id, Job.payload).where(
        Job.instance_id == instance_id, Job.kind == "service_retry", Job.status == "pending")).all()
    ids = [job_id for job_id, payload in pending if (payload or {}).get("incident_id") == incident_id]
    if ids:
        cancel_pending(session, ids, reason=reason)


def schedule_service_retry(session: Session, *, incident_id: int, environment_id: int, instance_id: int,
                           due_at: dt.datetime | None = None) -> Job:
    """Queue a retry of the failed service step behind an incident (run by the worker)."""
    return enqueue(session, "service_retry", {"incident_id": incident_id}, due_at=due_at,
                   environment_id=environment_id, instance_id=instance_id, max_attempts=3)


@dataclasses.dataclass(frozen=True)
class JobSummary:
    """One job as admins see it."""

    id: int
    kind: str
    status: str
    attempts: int
    max_attempts: int
    due_at: dt.datetime
    locked_by: str | None
    lease_until: dt.datetime | None
    environment_id: int | None
    instance_id: int | None
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "due_at": self.due_at.isoformat(),
                "lease_until": self.lease_until.isoformat() if self.lease_until else None}


def list_jobs(session: Session, *, statuses: tuple[str, ...] = ("pending", "running", "failed"),
              environment_id: int | None = None, limit: int = 200) -> list[JobSummary]:
    """Jobs in the given statuses, oldest due first (done jobs are left out by default)."""
    query = select(Job).where(Job.status.in_(statuses)).order_by(Job.due_at, Job.id).limit(limit)
    if environment_id is not None:
        query = query.where(Job.environment_id == environment_id)
    return [JobSummary(id=j.id, kind=j.kind, status=j.status, attempts=j.attempts, max_attempts=j.max_attempts,
                       due_at=j.due_at, locked_by=j.locked_by, lease_until=j.lease_until,
                       environment_id=j.environment_id, instance_id=j.instance_id, last_error=j.last_error)
            for j in session.scalars(query)]


def instance_jobs(session: Session, instance_id: int, *, limit: int = 100) -> list[Job]:
    """The jobs of an instance, open ones first, each group by due time."""
    query = select(Job).where(Job.instance_id == instance_id).order_by(
        Job.status.not_in(OPEN_STATUSES), Job.due_at, Job.id).limit(limit)
    return list(session.scalars(query))


def make_due(session: Session, job: Job, *, due_at: dt.datetime) -> None:
    """Let a pending job run at `due_at` instead. A timer job remembers the due time its timer was
    armed with (`timer_due`), so reconciling the instance's timers keeps the job rather than re-arming it."""
    if job.status != "pending":
        raise Conflict(f"job {job.id} is {job.status}; only a pending job can be fired or rescheduled",
                       code="job_not_pending", details=[{"status": job.status}])
    if job.kind == "timer" and "timer_due" not in (job.payload or {}):
        job.payload = {**(job.payload or {}), "timer_due": job.due_at.isoformat()}
    job.due_at = due_at
    session.flush()


def requeue(session: Session, job_id: int, *, now: dt.datetime | None = None) -> Job:
    """Give a failed job a fresh set of attempts, due now."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found", code="job_not_found")
    if job.status != "failed":
        raise Conflict(f"job {job_id} is {job.status}, only failed jobs can be requeued", code="job_not_failed")
    job.status, job.attempts, job.due_at, job.finished_at = "pending", 0, now or utcnow(), None
    session.flush()
    return job
