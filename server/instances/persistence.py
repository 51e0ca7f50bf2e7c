"""Saving one engine step: instance state, incidents and the step's audit entries, then its outcome
(server.engine.outcome) handed to the owners of human tasks, timer jobs and mail."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.db import utcnow
from server.engine import Failure, WorkflowRun
from server.engine.outcome import StepOutcome
from server.host import Host
from server.instances.models import Incident, ProcessInstance, ProcessModelVersion
from server.jobs import service as jobs
from server.jobs import timers
from server.mail import notifications
from server.mail.context import ModelWords
from server.tasks import mirror

SERVICE_RETRIES = 3
# Automatic retries of a failed service step wait 30 s, 2 min, 8 min.
RETRY_BASE_SECONDS = 30
ENDED = ("completed", "terminated")


def save(session: Session, host: Host, *, instance: ProcessInstance, run: WorkflowRun, actor: Actor,
         failure: Failure | None, new: bool = False) -> None:
    """Persist after a step; the version counter makes a concurrent writer fail with a conflict.

    `new`: the instance was created in this transaction, so it has no tasks or timers to look up yet.
    """
    before_status = instance.status
    for kind, element_id, after in _entries(run.take_events()):
        audit.record(session, actor=actor, action=f"engine.{kind}", target_type="element",
                     target_id=element_id, instance_id=instance.id, after=after)
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
    act_on(session, host, outcome=outcome_of(session, instance=instance, run=run, new=new), actor=actor,
           words=_words(session, instance=instance, run=run))
    session.flush()


def _words(session: Session, *, instance: ProcessInstance, run: WorkflowRun) -> ModelWords:
    """What the mail of this step quotes from the model: the running model's own catalogues (no lookup
    through server.instances.service, which imports this module) and its version's process name."""
    version = session.get(ProcessModelVersion, instance.model_version_id)
    return ModelWords(process_name=(version.name or version.key) if version is not None else instance.model_key,
                      texts=run.model.texts)


def _entries(events: list[Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """One audit entry per element: a service call is told in its element's `engine.element_completed`
    entry (which names the service) instead of an entry of its own, which cost ingest a chained row per
    service task; a call whose element did not complete in this step stays `engine.service_called`."""
    completed = {event.element_id for event in events if event.kind == "element_completed"}
    calls = {event.element_id: event.detail for event in events
             if event.kind == "service_called" and event.element_id in completed}
    return [(event.kind, event.element_id, {"name": event.name, **event.detail, **(
                calls.get(event.element_id, {}) if event.kind == "element_completed" else {})})
            for event in events if not (event.kind == "service_called" and event.element_id in calls)]


def _open_incident(session: Session, *, instance: ProcessInstance, failure: Failure, actor: Actor) -> None:
    """Open an incident, or count down the open one of the same step; retry it later or give up."""
    incident = session.scalars(select(Incident).where(
        Incident.instance_id == instance.id, Incident.element_id == failure.element_id,
        Incident.status == "open")).first()
    if incident is None:
        incident = Incident(environment_id=instance.environment_id, instance_id=instance.id,
                            element_id=failure.element_id, task_id=failure.task_id, error=failure.message,
                            stack=failure.stack, retries_left=SERVICE_RETRIES, cause=failure.cause.code,
                            cause_detail=failure.cause.detail)
        session.add(incident)
        session.flush()
        audit.record(session, actor=actor, action="incident.opened", target_type="incident",
                     target_id=incident.id, instance_id=instance.id,
                     after={"element": failure.element_id, "error": failure.message, "cause": failure.cause.code})
    else:
        incident.retries_left = max(0, incident.retries_left - 1)
        incident.task_id, incident.error, incident.stack = failure.task_id, failure.message, failure.stack
        incident.cause, incident.cause_detail = failure.cause.code, failure.cause.detail
        audit.record(session, actor=actor, action="incident.failed_again", target_type="incident",
                     target_id=incident.id, instance_id=instance.id,
                     after={"error": failure.message, "retries_left": incident.retries_left,
                            "cause": failure.cause.code})
    if incident.retries_left > 0:
        attempt = SERVICE_RETRIES - incident.retries_left
        jobs.schedule_service_retry(session, incident_id=incident.id, environment_id=instance.environment_id,
                                    instance_id=instance.id,
                                    due_at=utcnow() + dt.timedelta(seconds=RETRY_BASE_SECONDS * 4 ** attempt))
    else:
        # Failed for good: the generic conversion task tells the document's sender (see jobs.handlers).
        jobs.enqueue(session, "failed_for_good", {"incident_id": incident.id},
                     environment_id=instance.environment_id, instance_id=instance.id)


def outcome_of(session: Session, *, instance: ProcessInstance, run: WorkflowRun, new: bool) -> StepOutcome:
    """What this step asks of tasks and timer jobs: the engine's ready tasks and waiting timers against
    what is stored (a finished or terminated instance keeps neither)."""
    live = instance.status not in ENDED
    ready = {t.task_id: t for t in run.ready_user_tasks()} if instance.status != "terminated" else {}
    waiting = {t.task_id: t for t in run.pending_timers()} if live else {}
    opened, closed = mirror.plan(session, instance_id=instance.id, ready=ready, forms=run.model.forms, new=new)
    arm, cancel = timers.plan(session, instance_id=instance.id, waiting=waiting, new=new)
    return StepOutcome(instance_id=instance.id, environment_id=instance.environment_id, model_key=instance.model_key,
                       open_tasks=opened, close_tasks=closed, arm_timers=arm, cancel_timers=cancel)


def act_on(session: Session, host: Host, *, outcome: StepOutcome, actor: Actor, words: ModelWords) -> None:
    """Hand the outcome to its owners: human tasks, timer jobs, and the mail to the people given a task
    (in each one's language, with the model's `words`), whose queueing is server.mail's business."""
    opened = mirror.apply(session, outcome=outcome, actor=actor)
    notifications.tasks_opened(session, host, opened=opened, words=words)
    timers.apply(session, instance_id=outcome.instance_id, environment_id=outcome.environment_id,
                 arm=outcome.arm_timers, cancel=outcome.cancel_timers)
