"""The state changes behind administrative interventions (the verbs are server.operations.instances).

`begin` loads a run and changes it, `finish` runs it on and saves; the operation records its audit
entry between the two, so the consequences follow it in the log. Timers of a suspended instance are
held back by the job worker (server.jobs.handlers.run_timer). `reassign` stays here for the task verbs.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

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
from server.tasks import assignment
from server.tasks.models import OPEN_STATUSES, HumanTask

REASON_MAX = 2000
ENDED = ("completed", "terminated")
ACTIVE = ("running", "failed", "suspended")


def checked_reason(reason: str | None) -> str:
    """The trimmed reason; InvalidInput when it is empty or too long."""
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("an intervention needs a reason", code="reason_required",
                           details=[{"field": "reason"}])
    if len(text) > REASON_MAX:
        raise InvalidInput(f"the reason is longer than {REASON_MAX} characters", code="reason_too_long",
                           details=[{"field": "reason"}])
    return text


def _reason(reason: str | None) -> str:
    return checked_reason(reason)


def instance_in_state(session: Session, actor: Actor, instance_id: int, allowed: Sequence[str]) -> ProcessInstance:
    """The caller's instance, locked for this change; Conflict unless its status is one of `allowed`."""
    instance = instances.get_instance(session, actor.environment_id, instance_id)
    if instance.status not in allowed:
        raise Conflict(f"instance {instance_id} is {instance.status}; this needs {' or '.join(allowed)}",
                       code="instance_state", details=[{"status": instance.status, "allowed": list(allowed)}])
    return instance


def _snapshot(instance: ProcessInstance, run: WorkflowRun) -> dict[str, Any]:
    return {"status": instance.status, "open_steps": run.open_elements()}


@dataclasses.dataclass
class Intervention:
    """One change of a loaded run: the state before, and the detail the change reported."""

    instance: ProcessInstance
    run: WorkflowRun
    before: dict[str, Any]
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def after(self) -> dict[str, Any]:
        return {**_snapshot(self.instance, self.run), **self.detail}


def begin(session: Session, host: Host, *, actor: Actor, instance: ProcessInstance,
          change: Callable[[WorkflowRun], dict[str, Any]], status: str | None = None) -> Intervention:
    """Load the run and apply `change` (Conflict when the engine refuses); nothing runs on yet."""
    run = instances.load_run(session, host, instance, actor=actor)
    before = _snapshot(instance, run)
    try:
        detail = change(run)
    except EngineError as exc:
        raise Conflict(str(exc), code="intervention_refused") from None
    if status is not None:
        instance.status = status
    return Intervention(instance, run, before, detail)


def finish(session: Session, host: Host, *, actor: Actor, work: Intervention) -> None:
    """Advance and save like any step, then resolve the incidents whose step no longer fails."""
    instances.advance_and_save(session, host, instance=work.instance, run=work.run, actor=actor)
    _settle(session, instance=work.instance, run=work.run, actor=actor)


def _settle(session: Session, *, instance: ProcessInstance, run: WorkflowRun, actor: Actor) -> None:
    """Resolve incidents whose step no longer fails (timer jobs are reconciled by every save)."""
    failed = set(run.failed_task_ids()) if instance.status != "terminated" else set()
    for incident in instances.open_incidents(session, instance.id):
        if incident.task_id not in failed:
            incident.status = "closed" if instance.status == "terminated" else "resolved"
            incident.resolved_at = utcnow()
            audit.record(session, actor=actor, action=f"incident.{incident.status}", target_type="incident",
                         target_id=incident.id, instance_id=instance.id,
                         before={"status": "open"}, after={"status": incident.status})
    session.flush()


def mark_suspended(instance: ProcessInstance) -> dict[str, Any]:
    """Suspend: no step runs and no timer fires until resumed; returns the state before."""
    before = {"status": instance.status}
    instance.status, instance.suspended_at = "suspended", utcnow()
    return before


def cancel_all(run: WorkflowRun) -> dict[str, Any]:
    """Terminate's change: every open task cancelled."""
    run.cancel()
    return {"open_steps": []}


def retry_change(incident: Incident) -> Callable[[WorkflowRun], dict[str, Any]]:
    """Retry's change: the incident's failed step is READY again."""
    def again(run: WorkflowRun) -> dict[str, Any]:
        run.retry(incident.task_id)
        return {"incident": incident.id, "element": incident.element_id}
    return again


def restart_step_change(element_id: str) -> Callable[[WorkflowRun], dict[str, Any]]:
    def reopen(run: WorkflowRun) -> dict[str, Any]:
        run.reset_to(element_id, run.data)
        return {"restarted_step": element_id}
    return reopen


def move_change(to_element: str, from_element: str | None) -> Callable[[WorkflowRun], dict[str, Any]]:
    def relocate(run: WorkflowRun) -> dict[str, Any]:
        outcome = run.move_token(to_element, from_element=from_element)
        return {"direction": outcome.direction, "from": outcome.from_element, "to": outcome.to_element}
    return relocate


def restart_change(element_id: str) -> Callable[[WorkflowRun], dict[str, Any]]:
    def reopen(run: WorkflowRun) -> dict[str, Any]:
        run.reopen_at(element_id)
        return {"restarted_at": element_id}
    return reopen


def incident_to_retry(session: Session, instance: ProcessInstance, incident_id: int | None) -> Incident:
    """The open incident to retry: the one named, or the instance's only one."""
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


def get_incident(session: Session, actor: Actor, incident_id: int) -> Incident:
    """An incident of the caller's environment, or NotFound."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.environment_id != actor.environment_id:
        raise NotFound(f"incident {incident_id} not found", code="incident_not_found")
    return incident


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
