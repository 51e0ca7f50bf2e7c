"""Saving one engine step: instance state, mirrored human tasks, timer jobs, incidents and audit."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.db import utcnow
from server.engine import Failure, UserTaskInfo, WorkflowRun
from server.host import Host
from server.instances.models import Incident, ProcessInstance
from server.jobs import service as jobs
from server.jobs.models import Job
from server.mail import notifications
from server.masterdata.normalise import search_key
from server.tasks import due, foureyes
from server.tasks.models import OPEN_STATUSES, HumanTask, TaskCandidate

SERVICE_RETRIES = 3
# Automatic retries of a failed service step wait 30 s, 2 min, 8 min.
RETRY_BASE_SECONDS = 30


def save(session: Session, host: Host, *, instance: ProcessInstance, run: WorkflowRun, actor: Actor,
         failure: Failure | None, new: bool = False) -> None:
    """Persist after a step; the version counter makes a concurrent writer fail with a conflict.

    `new`: the instance was created in this transaction, so it has no tasks or timers to look up yet.
    """
    before_status = instance.status
    for event in run.take_events():
        audit.record(session, actor=actor, action=f"engine.{event.kind}", target_type="element",
                     target_id=event.element_id, instance_id=instance.id,
                     after={"name": event.name, **event.detail})
    if failure is not None:
        _open_incident(session, instance=instance, failure=failure, actor=actor)
    instance.state = run.dumps()
    instance.updated_at = utcnow()
    if run.is_completed and instance.status not in ("terminated",):
        instance.status = "completed"
        instance.ended_at = instance.ended_at or utcnow()
    elif failure is not None or (run.has_failed_step and instance.status == "running"):
        instance.status = "failed"
    if instance.status != before_status:
        audit.record(session, actor=actor, action="instance.status_changed", target_type="instance",
                     target_id=instance.id, instance_id=instance.id,
                     before={"status": before_status}, after={"status": instance.status})
    _sync_tasks(session, host, instance=instance, run=run, actor=actor, new=new)
    _schedule_timers(session, instance=instance, run=run, new=new)
    session.flush()


def _open_incident(session: Session, *, instance: ProcessInstance, failure: Failure, actor: Actor) -> None:
    """Open an incident, or count down the open one of the same step; retry it later or give up."""
    incident = session.scalars(select(Incident).where(
        Incident.instance_id == instance.id, Incident.element_id == failure.element_id,
        Incident.status == "open")).first()
    if incident is None:
        incident = Incident(environment_id=instance.environment_id, instance_id=instance.id,
                            element_id=failure.element_id, task_id=failure.task_id, error=failure.message,
                            stack=failure.stack, retries_left=SERVICE_RETRIES)
        session.add(incident)
        session.flush()
        audit.record(session, actor=actor, action="incident.opened", target_type="incident",
                     target_id=incident.id, instance_id=instance.id,
                     after={"element": failure.element_id, "error": failure.message})
    else:
        incident.retries_left = max(0, incident.retries_left - 1)
        incident.task_id, incident.error, incident.stack = failure.task_id, failure.message, failure.stack
        audit.record(session, actor=actor, action="incident.failed_again", target_type="incident",
                     target_id=incident.id, instance_id=instance.id,
                     after={"error": failure.message, "retries_left": incident.retries_left})
    if incident.retries_left > 0:
        attempt = SERVICE_RETRIES - incident.retries_left
        jobs.schedule_service_retry(session, incident_id=incident.id, environment_id=instance.environment_id,
                                    instance_id=instance.id,
                                    due_at=utcnow() + dt.timedelta(seconds=RETRY_BASE_SECONDS * 4 ** attempt))
    else:
        # Failed for good: the generic conversion task tells the document's sender (see jobs.handlers).
        jobs.enqueue(session, "failed_for_good", {"incident_id": incident.id},
                     environment_id=instance.environment_id, instance_id=instance.id)


def _sync_tasks(session: Session, host: Host, *, instance: ProcessInstance, run: WorkflowRun,
                actor: Actor, new: bool) -> None:
    ready = {t.task_id: t for t in run.ready_user_tasks()} if instance.status != "terminated" else {}
    existing = {} if new else {t.engine_task_id: t for t in session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status.in_(OPEN_STATUSES)))}
    for engine_id, task in existing.items():
        if engine_id not in ready:
            task.status = "not_needed" if task.form.get("multi_instance") else "cancelled"
            task.completed_at = utcnow()
            audit.record(session, actor=actor, action="task.closed", target_type="task", target_id=task.id,
                         instance_id=instance.id, after={"status": task.status})
    for engine_id, info in ready.items():
        if engine_id not in existing:
            _create_task(session, host, instance=instance, info=info, actor=actor, run=run)


def _create_task(session: Session, host: Host, *, instance: ProcessInstance, info: UserTaskInfo,
                 actor: Actor, run: WorkflowRun) -> HumanTask:
    found = info.data.get("invoice")
    invoice: dict[str, Any] = found if isinstance(found, dict) else {}
    supplier = str(invoice.get("supplier_name") or "")
    key = (info.form_key or "").removeprefix("stroom:")
    form = dict(run.model.forms.get(key, {})) if key else {}
    task = HumanTask(
        environment_id=instance.environment_id, instance_id=instance.id, engine_task_id=info.task_id,
        element_id=info.element_id, name=info.name, process_key=instance.model_key, status="open",
        assignee=info.assignment.assignee, candidate_users=list(info.assignment.candidate_users),
        candidate_groups=list(info.assignment.candidate_groups),
        candidate_roles=list(info.assignment.candidate_roles),
        form={"key": info.form_key, "schema": form, "multi_instance": info.multi_instance_item is not None,
              "item": info.multi_instance_item, "properties": info.properties,
              "four_eyes": list(info.assignment.four_eyes),
              "excluded": foureyes.excluded_from_data(info.assignment.four_eyes, info.data)},
        supplier_name=supplier[:300] or None, supplier_search=search_key(supplier)[:300] or None,
        amount=_decimal(invoice.get("payable_amount")),
        due_at=due.task_due(info.assignment.due_date, info.data, info.properties))
    session.add(task)
    session.flush()
    for kind, names in (("group", info.assignment.candidate_groups), ("role", info.assignment.candidate_roles),
                        ("user", info.assignment.candidate_users)):
        for name in dict.fromkeys(names):
            session.add(TaskCandidate(task_id=task.id, kind=kind, name=name))
    audit.record(session, actor=actor, action="task.created", target_type="task", target_id=task.id,
                 instance_id=instance.id,
                 after={"element": info.element_id, "name": info.name, "assignee": task.assignee,
                        "groups": task.candidate_groups, "roles": task.candidate_roles,
                        "users": task.candidate_users})
    notifications.task_created(session, host, task=task, properties=info.properties, data=info.data)
    return task


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _schedule_timers(session: Session, *, instance: ProcessInstance, run: WorkflowRun, new: bool) -> None:
    if instance.status in ("completed", "terminated"):
        return
    scheduled = [] if new else list(session.scalars(select(Job.payload).where(
        Job.instance_id == instance.id, Job.kind == "timer", Job.status.in_(("pending", "running")))))
    known = {p.get("task_id") for p in scheduled if isinstance(p, dict)}
    for timer in run.pending_timers():
        if timer.task_id not in known:
            jobs.enqueue(session, "timer", {"task_id": timer.task_id, "element_id": timer.element_id},
                         due_at=timer.due_at, environment_id=instance.environment_id, instance_id=instance.id)
