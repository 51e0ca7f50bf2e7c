"""Administrative interventions on instances: suspend, resume, terminate, retry, move, restart, reassign.

Every intervention needs a reason and is written to the audit log as `admin.<verb>` with the state
before and after (status and the steps holding a token), so the instance lists who, when and why.
The audit entry is recorded before the engine runs on, so the consequences follow it in the log.
Timers of a suspended instance are held back by the job worker (server.jobs.handlers.run_timer).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.permissions import require
from server.db import utcnow
from server.engine import EngineError, WorkflowRun
from server.errors import Conflict, InvalidInput, NotFound
from server.host import Host
from server.instances import service as instances
from server.instances.models import Incident, ProcessInstance
from server.jobs.models import Job
from server.tasks import assignment
from server.tasks.models import OPEN_STATUSES, HumanTask

REASON_MAX = 2000
ENDED = ("completed", "terminated")
ACTIVE = ("running", "failed", "suspended")


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("an intervention needs a reason", code="reason_required")
    if len(text) > REASON_MAX:
        raise InvalidInput(f"the reason is longer than {REASON_MAX} characters", code="reason_too_long")
    return text


def _instance(session: Session, actor: Actor, instance_id: int, allowed: Sequence[str]) -> ProcessInstance:
    require(actor, "instances.admin")
    instance = instances.get_instance(session, actor.environment_id, instance_id)
    if instance.status not in allowed:
        raise Conflict(f"instance {instance_id} is {instance.status}; this needs {' or '.join(allowed)}",
                       code="instance_state", details=[{"status": instance.status, "allowed": list(allowed)}])
    return instance


def _snapshot(instance: ProcessInstance, run: WorkflowRun) -> dict[str, Any]:
    return {"status": instance.status, "open_steps": run.open_elements()}


def _intervene(session: Session, host: Host, *, actor: Actor, instance: ProcessInstance, action: str,
               reason: str, change: Callable[[WorkflowRun], dict[str, Any]], status: str | None = None) -> None:
    """Load, change the run, record the intervention, then advance and save like any step."""
    run = instances.load_run(session, host, instance, actor=actor)
    before = _snapshot(instance, run)
    try:
        detail = change(run)
    except EngineError as exc:
        raise Conflict(str(exc), code="intervention_refused") from None
    if status is not None:
        instance.status = status
    audit.record(session, actor=actor, action=action, target_type="instance", target_id=instance.id,
                 instance_id=instance.id, before=before, after={**_snapshot(instance, run), **detail},
                 note=reason)
    instances.advance_and_save(session, host, instance=instance, run=run, actor=actor)
    _settle(session, instance=instance, run=run, actor=actor)


def _settle(session: Session, *, instance: ProcessInstance, run: WorkflowRun, actor: Actor) -> None:
    """Cancel timer jobs whose timer no longer waits; resolve incidents whose step no longer fails."""
    waiting = {t.task_id for t in run.pending_timers()} if instance.status not in ENDED else set()
    stale = [job_id for job_id, payload in session.execute(select(Job.id, Job.payload).where(
        Job.instance_id == instance.id, Job.kind == "timer", Job.status == "pending"))
        if (payload or {}).get("task_id") not in waiting]
    if stale:
        # Conditional, so a job a worker claimed meanwhile is left to that worker (it finds no timer).
        session.execute(update(Job).where(Job.id.in_(stale), Job.status == "pending")
                        .values(status="cancelled", finished_at=utcnow(), last_error="timer no longer waits"))
    failed = set(run.failed_task_ids()) if instance.status != "terminated" else set()
    for incident in instances.open_incidents(session, instance.id):
        if incident.task_id not in failed:
            incident.status = "closed" if instance.status == "terminated" else "resolved"
            incident.resolved_at = utcnow()
            audit.record(session, actor=actor, action=f"incident.{incident.status}", target_type="incident",
                         target_id=incident.id, instance_id=instance.id,
                         before={"status": "open"}, after={"status": incident.status})
    session.flush()


def suspend(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str) -> ProcessInstance:
    """Stop an instance: no step runs and no timer fires until it is resumed."""
    why = _reason(reason)
    instance = _instance(session, actor, instance_id, ("running", "failed"))
    before = {"status": instance.status}
    instance.status, instance.suspended_at = "suspended", utcnow()
    audit.record(session, actor=actor, action="admin.suspended", target_type="instance", target_id=instance.id,
                 instance_id=instance.id, before=before, after={"status": "suspended"}, note=why)
    session.flush()
    return instance


def resume(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str) -> ProcessInstance:
    """Let a suspended instance run on (timers that fell due meanwhile fire on the next worker poll)."""
    why = _reason(reason)
    instance = _instance(session, actor, instance_id, ("suspended",))
    instance.suspended_at = None
    _intervene(session, host, actor=actor, instance=instance, action="admin.resumed", reason=why,
               change=lambda run: {}, status="running")
    return instance


def terminate(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str) -> ProcessInstance:
    """End an instance now: open tasks are cancelled, timers dropped, incidents closed."""
    why = _reason(reason)
    instance = _instance(session, actor, instance_id, ACTIVE)
    instance.end_reason, instance.ended_at, instance.suspended_at = why, utcnow(), None

    def cancel(run: WorkflowRun) -> dict[str, Any]:
        run.cancel()
        return {"open_steps": []}
    _intervene(session, host, actor=actor, instance=instance, action="admin.terminated", reason=why,
               change=cancel, status="terminated")
    return instance


def retry(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str,
          incident_id: int | None = None) -> ProcessInstance:
    """Run a failed service step again (the given incident, or the instance's only open one)."""
    why = _reason(reason)
    instance = _instance(session, actor, instance_id, ("failed", "running"))
    incident = _incident_to_retry(session, instance, incident_id)

    def again(run: WorkflowRun) -> dict[str, Any]:
        run.retry(incident.task_id)
        return {"incident": incident.id, "element": incident.element_id}
    _intervene(session, host, actor=actor, instance=instance, action="admin.retried", reason=why,
               change=again, status="running")
    return instance


def _incident_to_retry(session: Session, instance: ProcessInstance, incident_id: int | None) -> Incident:
    open_ones = instances.open_incidents(session, instance.id)
    if incident_id is not None:
        chosen = [i for i in open_ones if i.id == incident_id]
        if not chosen:
            raise NotFound(f"no open incident {incident_id} on instance {instance.id}", code="incident_not_found")
        return chosen[0]
    if len(open_ones) != 1:
        raise Conflict(f"instance {instance.id} has {len(open_ones)} open incidents; name the one to retry",
                       code="incident_ambiguous", details=[{"open_incidents": [i.id for i in open_ones]}])
    return open_ones[0]


def retry_incident(session: Session, host: Host, *, actor: Actor, incident_id: int,
                   reason: str) -> ProcessInstance:
    """Retry the step of one incident (the incident view's button)."""
    incident = get_incident(session, actor, incident_id)
    return retry(session, host, actor=actor, instance_id=incident.instance_id, reason=reason,
                 incident_id=incident.id)


def get_incident(session: Session, actor: Actor, incident_id: int) -> Incident:
    """An incident of the caller's environment, or NotFound."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.environment_id != actor.environment_id:
        raise NotFound(f"incident {incident_id} not found", code="incident_not_found")
    return incident


def restart_step(session: Session, host: Host, *, actor: Actor, instance_id: int, element_id: str,
                 reason: str) -> ProcessInstance:
    """Re-open a completed or failed step of a live instance and run on from there (current data)."""
    why = _reason(reason)
    instance = _instance(session, actor, instance_id, ACTIVE)

    def reopen(run: WorkflowRun) -> dict[str, Any]:
        run.reset_to(element_id, run.data)
        return {"restarted_step": element_id}
    _intervene(session, host, actor=actor, instance=instance, action="admin.step_restarted", reason=why,
               change=reopen, status=None if instance.status == "suspended" else "running")
    return instance


def move(session: Session, host: Host, *, actor: Actor, instance_id: int, to_element: str, reason: str,
         from_element: str | None = None) -> ProcessInstance:
    """Move the token to another step of the same model; skipped steps do not run, open tasks close."""
    why = _reason(reason)
    instance = _instance(session, actor, instance_id, ACTIVE)

    def relocate(run: WorkflowRun) -> dict[str, Any]:
        outcome = run.move_token(to_element, from_element=from_element)
        return {"direction": outcome.direction, "from": outcome.from_element, "to": outcome.to_element}
    _intervene(session, host, actor=actor, instance=instance, action="admin.moved", reason=why,
               change=relocate, status=None if instance.status == "suspended" else "running")
    return instance


def restart_instance(session: Session, host: Host, *, actor: Actor, instance_id: int, element_id: str,
                     reason: str) -> ProcessInstance:
    """Run a completed or terminated instance again from `element_id` with its last data."""
    why = _reason(reason)
    instance = _instance(session, actor, instance_id, ENDED)
    instance.ended_at, instance.end_reason = None, None

    def reopen(run: WorkflowRun) -> dict[str, Any]:
        run.reopen_at(element_id)
        return {"restarted_at": element_id}
    _intervene(session, host, actor=actor, instance=instance, action="admin.restarted", reason=why,
               change=reopen, status="running")
    return instance


def reassign(session: Session, *, actor: Actor, task_id: int, reason: str, instance_id: int | None = None,
             assignee: str | None = None, users: Sequence[str] = (), groups: Sequence[str] = (),
             roles: Sequence[str] = ()) -> HumanTask:
    """Give an open task to another user (assignee) or to candidate users, groups or roles.

    Every name must exist in the environment (422 naming it) and four eyes holds (403); naming only an
    assignee keeps the candidates, so an unclaim gives the task back to them."""
    why = _reason(reason)
    require(actor, "instances.admin")
    task = session.get(HumanTask, task_id, with_for_update=True)
    if task is None or task.environment_id != actor.environment_id or instance_id not in (None, task.instance_id):
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    if task.status not in OPEN_STATUSES:
        raise Conflict(f"task {task_id} is {task.status}", code="task_not_open")
    if not (assignee or users or groups or roles):
        raise InvalidInput("name an assignee or candidate users, groups or roles", code="no_assignment")
    before = assignment.snapshot(task)
    assignment.give(session, actor=actor, task=task, assignee=assignee, users=users, groups=groups, roles=roles)
    audit.record(session, actor=actor, action="admin.reassigned", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, before=before, after=assignment.snapshot(task), note=why)
    session.flush()
    return task
