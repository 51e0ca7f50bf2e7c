"""The job table's state machine: claim due jobs, finish, reschedule, retry with backoff, fail.

Claims run in short transactions of their own. On PostgreSQL due rows are picked with
`FOR UPDATE SKIP LOCKED`, so concurrent workers never claim the same row; on SQLite
`BEGIN IMMEDIATE` serialises claimers (one in-process worker is the supported set-up).
Every later transition is conditional on `locked_by` so a worker whose lease ran out
(and whose job another worker took over) changes nothing.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.causes import Cause, classify
from server.db import Database
from server.instances.models import Incident
from server.jobs.models import Job
from server.jobs.types import JobView

ERROR_LIMIT = 4000


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Exponential retry delays: base, 2*base, 4*base ... capped."""

    base_seconds: float = 2.0
    cap_seconds: float = 600.0

    def delay(self, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th failed attempt (1-based)."""
        exponent = max(attempts - 1, 0)
        seconds = self.cap_seconds if exponent > 32 else min(self.base_seconds * 2 ** exponent, self.cap_seconds)
        return dt.timedelta(seconds=seconds)


def _view(job: Job) -> JobView:
    return JobView(id=job.id, kind=job.kind, payload=dict(job.payload or {}), environment_id=job.environment_id,
                   instance_id=job.instance_id, attempts=job.attempts, max_attempts=job.max_attempts,
                   due_at=job.due_at)


def claim(db: Database, *, worker: str, now: dt.datetime, lease: dt.timedelta, limit: int,
          kinds: frozenset[str] | None = None) -> list[JobView]:
    """Mark up to `limit` due jobs (or jobs whose lease expired) as running for `worker`."""
    due = or_(and_(Job.status == "pending", Job.due_at <= now),
              and_(Job.status == "running", Job.lease_until < now))
    query = select(Job).where(due).order_by(Job.due_at, Job.id).limit(limit)
    if kinds is not None:
        query = query.where(Job.kind.in_(sorted(kinds)))
    with db.unit_of_work() as session:
        jobs = list(session.scalars(query.with_for_update(skip_locked=True)))
        for job in jobs:
            job.status, job.locked_by, job.lease_until = "running", worker, now + lease
            job.attempts += 1
        session.flush()
        return [_view(job) for job in jobs]


def finish(session: Session, job_id: int, *, worker: str, now: dt.datetime) -> bool:
    """Mark the job done in the caller's unit of work (locking its row); False when this worker lost it."""
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.locked_by == worker, Job.status == "running")
        .values(status="done", finished_at=now, locked_by=None, lease_until=None, last_error=None)
        .execution_options(synchronize_session=False))
    return bool(result.rowcount)  # type: ignore[attr-defined]


def reschedule(session: Session, job_id: int, *, due_at: dt.datetime, reason: str) -> None:
    """Put a job this unit of work owns (see finish) back as pending at `due_at`, giving back its attempt."""
    session.execute(
        update(Job).where(Job.id == job_id)
        .values(status="pending", due_at=due_at, finished_at=None, locked_by=None, lease_until=None,
                attempts=Job.attempts - 1, last_error=reason or None)
        .execution_options(synchronize_session=False))


def release(db: Database, job_ids: list[int], *, worker: str) -> None:
    """Hand back claimed jobs this worker did not start (shutdown), so nobody waits for the lease."""
    if not job_ids:
        return
    with db.unit_of_work() as session:
        session.execute(
            update(Job).where(Job.id.in_(job_ids), Job.locked_by == worker, Job.status == "running")
            .values(status="pending", locked_by=None, lease_until=None, attempts=Job.attempts - 1)
            .execution_options(synchronize_session=False))


def fail(db: Database, job_id: int, *, worker: str, now: dt.datetime, error: str, backoff: Backoff,
         permanent: bool = False, cause: Cause | None = None) -> str | None:
    """Record a failed attempt: retry later with backoff, or give up (status failed, incident with the
    `cause` the last error named, else the one its message shows)."""
    with db.unit_of_work() as session:
        job = session.scalars(select(Job).where(Job.id == job_id, Job.locked_by == worker,
                                                Job.status == "running").with_for_update()).one_or_none()
        if job is None:
            return None
        job.last_error = error[-ERROR_LIMIT:]
        job.locked_by, job.lease_until = None, None
        if permanent or job.attempts >= job.max_attempts:
            job.status, job.finished_at = "failed", now
            _report_failure(session, job, cause or classify(f"({job.kind}) {job.last_error}"))
        else:
            job.status, job.due_at = "pending", now + backoff.delay(job.attempts)
        return job.status


def _report_failure(session: Session, job: Job, cause: Cause) -> None:
    """Make a given-up job visible to admins: an audit entry and, for instance jobs, an incident."""
    if job.environment_id is None:
        return
    actor = Actor.system(job.environment_id, "worker")
    if job.instance_id is not None:
        payload = job.payload or {}
        incident = Incident(environment_id=job.environment_id, instance_id=job.instance_id,
                            element_id=str(payload.get("element_id") or f"job:{job.kind}")[:200],
                            task_id=str(payload.get("task_id") or "")[:64],
                            error=f"job {job.id} ({job.kind}) failed after {job.attempts} attempts: "
                                  f"{job.last_error}", retries_left=0, cause=cause.code,
                            cause_detail=cause.detail, job_id=job.id)
        session.add(incident)
        session.flush()
        audit.record(session, actor=actor, action="incident.opened", target_type="incident",
                     target_id=incident.id, instance_id=job.instance_id,
                     after={"job": job.id, "kind": job.kind, "error": job.last_error, "cause": cause.code})
    audit.record(session, actor=actor, action="job.failed", target_type="job", target_id=job.id,
                 instance_id=job.instance_id,
                 after={"kind": job.kind, "attempts": job.attempts, "error": job.last_error})
