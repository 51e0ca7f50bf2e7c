"""Timers and jobs of an instance: list them, fire one now, change when one runs.

The verbs behind GET /api/v1/process-instances/ID/jobs, POST /api/v1/jobs/ID/fire, PUT
/api/v1/jobs/ID/due, the instance page's job table and `stroom jobs fire|set-due`. Firing makes a
pending job due now: the worker runs it at its next poll (a timer fires through the engine, a
reminder queues its mail). Each change is audited (`admin.job_fired`, `admin.job_rescheduled`) with
the due time before and after.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.permissions import require
from server.db import utcnow
from server.errors import Conflict, InvalidInput, NotFound
from server.instances import service as instances
from server.instances.models import ProcessInstance
from server.jobs import service as jobs
from server.jobs.models import Job
from server.operations.instances import ADMIN

REASON_MAX = 2000


@dataclasses.dataclass(frozen=True)
class InstanceJob:
    """One job of an instance as admins see it: what it does (timer element or task), its state and due time."""

    id: int
    kind: str
    status: str
    due_at: dt.datetime
    instance_id: int | None
    element_id: str | None
    task_id: int | None
    attempts: int
    max_attempts: int
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "due_at": self.due_at.isoformat()}

    @property
    def can_change(self) -> bool:
        """Whether it can still be fired or rescheduled (only a pending job can)."""
        return self.status == "pending"


def instance_jobs(session: Session, *, actor: Actor, instance_id: int) -> list[InstanceJob]:
    """The instance's timers, reminders, retries and mails: open ones first, then by due time."""
    require(actor, "instances.read")
    instance = instances.get_instance(session, actor.environment_id, instance_id)
    return [_view(job) for job in jobs.instance_jobs(session, instance.id)]


def fire(session: Session, *, actor: Actor, job_id: int, reason: str | None = None,
         instance_id: int | None = None) -> InstanceJob:
    """Make a pending job due now (the worker runs it at its next poll); Conflict when the job is not
    pending or its instance is suspended or ended. `instance_id`: the job must be that instance's."""
    return _reschedule(session, actor=actor, job_id=job_id, due_at=utcnow(), reason=reason,
                       action="admin.job_fired", instance_id=instance_id)


def set_due(session: Session, *, actor: Actor, job_id: int, due_at: object, reason: str | None = None,
            instance_id: int | None = None) -> InstanceJob:
    """Let a pending job run at `due_at` (ISO 8601; UTC when no zone is given); a timer keeps its new
    time however often its instance is saved."""
    return _reschedule(session, actor=actor, job_id=job_id, due_at=_when(due_at), reason=reason,
                       action="admin.job_rescheduled", instance_id=instance_id)


def _reschedule(session: Session, *, actor: Actor, job_id: int, due_at: dt.datetime, reason: str | None,
                action: str, instance_id: int | None) -> InstanceJob:
    require(actor, ADMIN)
    note = _note(reason)
    job = _job(session, actor, job_id)
    if instance_id is not None and job.instance_id != instance_id:
        raise NotFound(f"job {job_id} is not a job of instance {instance_id}", code="job_not_found")
    _refuse_held_instance(session, job)
    before = {"status": job.status, "due_at": job.due_at.isoformat()}
    jobs.make_due(session, job, due_at=due_at)
    audit.record(session, actor=actor, action=action, target_type="job", target_id=job.id,
                 instance_id=job.instance_id, before=before,
                 after={"kind": job.kind, "element": (job.payload or {}).get("element_id"),
                        "due_at": job.due_at.isoformat()}, note=note)
    return _view(job)


def _job(session: Session, actor: Actor, job_id: int) -> Job:
    """The job, locked, if it belongs to the caller's environment; else NotFound."""
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or job.environment_id != actor.environment_id:
        raise NotFound(f"job {job_id} not found", code="job_not_found")
    return job


def _refuse_held_instance(session: Session, job: Job) -> None:
    """A suspended instance holds its timers back, an ended one has none left to run."""
    instance = session.get(ProcessInstance, job.instance_id) if job.instance_id is not None else None
    if instance is not None and instance.status in ("suspended", "completed", "terminated"):
        raise Conflict(f"instance {instance.id} is {instance.status}; its jobs do not run"
                       + (" until it is resumed" if instance.status == "suspended" else ""),
                       code="instance_state", details=[{"status": instance.status}])


def _when(value: object) -> dt.datetime:
    parsed: dt.datetime | None = value if isinstance(value, dt.datetime) else None
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise InvalidInput("due_at must be an ISO 8601 date and time, e.g. 2026-12-03T09:00:00+01:00",
                           code="invalid_due_at", details=[{"field": "due_at"}])
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _note(reason: str | None) -> str | None:
    text = (reason or "").strip()
    if len(text) > REASON_MAX:
        raise InvalidInput(f"the reason is longer than {REASON_MAX} characters", code="reason_too_long",
                           details=[{"field": "reason"}])
    return text or None


def _view(job: Job) -> InstanceJob:
    payload = job.payload or {}
    task = payload.get("task_id") if job.kind == "reminder" else None
    return InstanceJob(id=job.id, kind=job.kind, status=job.status, due_at=job.due_at, instance_id=job.instance_id,
                       element_id=payload.get("element_id"), task_id=task if isinstance(task, int) else None,
                       attempts=job.attempts, max_attempts=job.max_attempts, last_error=job.last_error)
