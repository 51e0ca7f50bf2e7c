"""Instance verbs: start by hand, suspend, resume, terminate, retry, move, restart-step, restart.

Each checks the permission, validates, changes state (flush only), writes its `admin.<verb>` audit
entry with the state before and after, and returns the instance as a masked `InstanceView`. The API,
the pages and the `stroom` command call these and nothing else for an intervention; a batch
(server.operations.batches) calls them once per instance with its `batch_id`, which the entry names.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.permissions import require
from server.db import utcnow
from server.engine import WorkflowRun
from server.errors import InvalidInput
from server.host import Host
from server.instances import admin, starts
from server.instances import service as instances
from server.instances import view as views
from server.instances.models import Incident, ProcessInstance
from server.jobs import service as jobs

ADMIN = "instances.admin"


@dataclasses.dataclass(frozen=True)
class InstanceView:
    """An instance as every edge answers it: status, masked data, element states, tasks, incidents."""

    id: int
    model_key: str
    status: str
    business_key: str | None
    detail: Mapping[str, Any]  # the full masked view (views.instance_view), JSON-ready

    def to_json(self) -> dict[str, Any]:
        return dict(self.detail)

    @property
    def failed_steps(self) -> tuple[str, ...]:
        return tuple(e["element_id"] for e in self.detail.get("elements", ()) if e.get("state") == "failed")


@dataclasses.dataclass(frozen=True)
class StartedInstance:
    """A started instance: its id, model and the status it reached when it first waited."""

    id: int
    model_key: str
    status: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "model": self.model_key}


@dataclasses.dataclass(frozen=True)
class RetriedIncident:
    """An incident after its retry, and the instance it belongs to."""

    incident: Mapping[str, Any]
    instance: InstanceView

    def to_json(self) -> dict[str, Any]:
        return dict(self.incident)


def view_of(session: Session, host: Host, *, actor: Actor, instance_id: int) -> InstanceView:
    """The masked view of an instance, as it stands in this transaction."""
    session.flush()
    detail = views.instance_view(session, host, actor=actor, instance_id=instance_id)
    return InstanceView(id=detail["id"], model_key=detail["model_key"], status=detail["status"],
                        business_key=detail["business_key"], detail=detail)


def start_instance(session: Session, host: Host, *, actor: Actor, key: str, data: Mapping[str, Any] | None = None,
                   business_key: str | None = None) -> StartedInstance:
    """Start the newest version of `key` by hand; start data is checked against the model (422 naming
    the field), a system-start-only model is Forbidden; the start is audited as `instance.started`."""
    require(actor, "instances.start")
    instance = starts.start_by_hand(session, host, actor=actor, key=key, data=data, business_key=business_key)
    return StartedInstance(instance.id, instance.model_key, instance.status)


def suspend(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str | None,
            batch_id: int | None = None) -> InstanceView:
    """Stop an instance: no step runs and no timer fires until it is resumed."""
    require(actor, ADMIN)
    why = admin.checked_reason(reason)
    instance = admin.instance_in_state(session, actor, instance_id, ("running", "failed"))
    before = admin.mark_suspended(instance)
    _record(session, actor, instance, "admin.suspended", before, {"status": "suspended"}, why, batch_id)
    return view_of(session, host, actor=actor, instance_id=instance.id)


def resume(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str | None,
           batch_id: int | None = None) -> InstanceView:
    """Let a suspended instance run on (timers that fell due meanwhile fire on the next worker poll)."""
    return _intervene(session, host, actor=actor, instance_id=instance_id, reason=reason, allowed=("suspended",),
                      action="admin.resumed", change=lambda run: {}, status="running",
                      prepare=lambda instance: setattr(instance, "suspended_at", None), batch_id=batch_id)


def terminate(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str | None,
              batch_id: int | None = None) -> InstanceView:
    """End an instance now: open tasks are cancelled, timer jobs dropped, incidents closed."""
    def ended(instance: ProcessInstance) -> None:
        instance.end_reason, instance.ended_at, instance.suspended_at = why, utcnow(), None
    why = admin.checked_reason(reason)
    return _intervene(session, host, actor=actor, instance_id=instance_id, reason=why, allowed=admin.ACTIVE,
                      action="admin.terminated", change=admin.cancel_all, status="terminated", prepare=ended,
                      batch_id=batch_id)


def retry(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str | None,
          incident_id: int | None = None, batch_id: int | None = None) -> InstanceView:
    """Run a failed service step again (the given incident, or the instance's only open one).

    The incident's pending automatic retry is cancelled: one failure, one next attempt."""
    require(actor, ADMIN)
    why = admin.checked_reason(reason)
    incident = admin.incident_to_retry(session, instances.get_instance(session, actor.environment_id, instance_id),
                                       incident_id)
    if incident.job_id is not None:
        return _requeue(session, host, actor=actor, incident=incident, reason=why)
    instance = admin.instance_in_state(session, actor, instance_id, ("failed", "running"))
    jobs.cancel_incident_retries(session, incident_id=incident.id, instance_id=instance.id,
                                 reason="retried by hand")
    return _intervene(session, host, actor=actor, instance_id=instance.id, reason=why, allowed=("failed", "running"),
                      action="admin.retried", change=admin.retry_change(incident), status="running",
                      batch_id=batch_id)


def _requeue(session: Session, host: Host, *, actor: Actor, incident: Incident, reason: str) -> InstanceView:
    """Retry an undeliverable mail (a given-up job): queued again with fresh attempts, incident resolved."""
    job = jobs.requeue(session, int(incident.job_id or 0))
    incident.status, incident.resolved_at = "resolved", utcnow()
    audit.record(session, actor=actor, action="admin.retried", target_type="incident", target_id=incident.id,
                 instance_id=incident.instance_id, before={"status": "open", "job_status": "failed"},
                 after={"incident": incident.id, "job": job.id, "job_status": job.status}, note=reason)
    return view_of(session, host, actor=actor, instance_id=incident.instance_id)


def retry_incident(session: Session, host: Host, *, actor: Actor, incident_id: int,
                   reason: str | None) -> RetriedIncident:
    """Retry the step of one incident (the incident view's button); answers the incident."""
    require(actor, ADMIN)
    incident = admin.get_incident(session, actor, incident_id)
    instance = retry(session, host, actor=actor, instance_id=incident.instance_id, reason=reason,
                     incident_id=incident.id)
    answer = views.incident_json(incident, with_stack=views.shows_stacks(actor))
    return RetriedIncident(incident=answer, instance=instance)


def move(session: Session, host: Host, *, actor: Actor, instance_id: int, to_element: str | None,
         reason: str | None, from_element: str | None = None) -> InstanceView:
    """Move the token to another step of the same model, back or forward (logged with its direction)."""
    target = _element(to_element, "to")
    return _intervene(session, host, actor=actor, instance_id=instance_id, reason=reason, allowed=admin.ACTIVE,
                      action="admin.moved", change=admin.move_change(target, from_element or None),
                      status=_live_status)


def restart_step(session: Session, host: Host, *, actor: Actor, instance_id: int, element_id: str | None,
                 reason: str | None) -> InstanceView:
    """Re-open a completed or failed step of a live instance and run on from there (current data)."""
    element = _element(element_id, "element_id")
    return _intervene(session, host, actor=actor, instance_id=instance_id, reason=reason, allowed=admin.ACTIVE,
                      action="admin.step_restarted", change=admin.restart_step_change(element),
                      status=_live_status)


def restart(session: Session, host: Host, *, actor: Actor, instance_id: int, element_id: str | None,
            reason: str | None) -> InstanceView:
    """Run a completed or terminated instance again from `element_id` with its last data."""
    element = _element(element_id, "element_id")

    def reopened(instance: ProcessInstance) -> None:
        instance.ended_at, instance.end_reason = None, None
    return _intervene(session, host, actor=actor, instance_id=instance_id, reason=reason, allowed=admin.ENDED,
                      action="admin.restarted", change=admin.restart_change(element), status="running",
                      prepare=reopened)


def _live_status(instance: ProcessInstance) -> str | None:
    """A move or step restart keeps a suspended instance suspended; else it runs."""
    return None if instance.status == "suspended" else "running"


def _element(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{field} is required: the element id", code="invalid_input",
                                 details=[{"field": field}])
    return text


def _intervene(session: Session, host: Host, *, actor: Actor, instance_id: int, reason: str | None,
               allowed: tuple[str, ...], action: str, change: Callable[[WorkflowRun], dict[str, Any]],
               status: str | Callable[[ProcessInstance], str | None] | None,
               prepare: Callable[[ProcessInstance], None] | None = None,
               batch_id: int | None = None) -> InstanceView:
    """Check, change the run, audit (before the engine runs on, so consequences follow), run on, answer."""
    require(actor, ADMIN)
    why = admin.checked_reason(reason)
    instance = admin.instance_in_state(session, actor, instance_id, allowed)
    new_status = status(instance) if callable(status) else status
    if prepare is not None:
        prepare(instance)
    work = admin.begin(session, host, actor=actor, instance=instance, change=change, status=new_status)
    _record(session, actor, instance, action, work.before, work.after, why, batch_id)
    admin.finish(session, host, actor=actor, work=work)
    return view_of(session, host, actor=actor, instance_id=instance.id)


def _record(session: Session, actor: Actor, instance: ProcessInstance, action: str, before: dict[str, Any],
            after: dict[str, Any], reason: str, batch_id: int | None = None) -> None:
    """The intervention's entry; one made by a batch names it in `after` (the rest is as by hand)."""
    if batch_id is not None:
        after = {**after, "batch_id": batch_id}
    audit.record(session, actor=actor, action=action, target_type="instance", target_id=instance.id,
                 instance_id=instance.id, before=before, after=after, note=reason)
