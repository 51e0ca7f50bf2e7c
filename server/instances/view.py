"""What the instance pages and API show: lists, one instance on its diagram, its history.

Process data is shown with secrets masked (keys naming a password, secret, token, API key or
credential); bank details such as an IBAN are business data and stay visible.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import causes
from server.audit import service as audit
from server.audit.models import AuditEvent
from server.audit.query import entry_json
from server.auth.actor import Actor
from server.auth.permissions import allowed
from server.errors import InvalidInput, NotFound
from server.host import Host
from server.instances import service as instances
from server.instances.models import Incident, ProcessInstance, ProcessModelVersion
from server.tasks.models import OPEN_STATUSES, HumanTask

MASK = "********"
SECRET_KEY = re.compile(r"passw|secret|token|api_?key|credential|private_?key", re.IGNORECASE)
STATUSES = ("running", "failed", "suspended", "completed", "terminated")
MAX_LIMIT = 200


def mask_secrets(value: Any) -> Any:
    """A copy of `value` with the values of secret-looking keys replaced, at any depth."""
    if isinstance(value, dict):
        return {k: MASK if isinstance(k, str) and SECRET_KEY.search(k) and v not in (None, "")
                else mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def keep_secrets(given: Any, current: Any) -> Any:
    """`given` with its masked secrets (still MASK) and omitted secret keys taken from `current`: an
    edit of the masked data changes a secret only where a new value is given."""
    if isinstance(given, dict):
        old = current if isinstance(current, dict) else {}
        merged = {k: old[k] if _secret(k) and v == MASK and k in old else keep_secrets(v, old.get(k))
                  for k, v in given.items()}
        return {**{k: v for k, v in old.items() if _secret(k) and k not in given}, **merged}
    if isinstance(given, list) and isinstance(current, list):
        return [keep_secrets(v, current[i] if i < len(current) else None) for i, v in enumerate(given)]
    return given


def _secret(key: object) -> bool:
    return isinstance(key, str) and bool(SECRET_KEY.search(key))


@dataclasses.dataclass(frozen=True)
class InstanceFilter:
    status: str | None = None
    model_key: str | None = None
    business_key: str | None = None
    started_after: dt.datetime | None = None
    started_before: dt.datetime | None = None
    cause: str | None = None  # only instances with an open incident of this cause


def summary(instance: ProcessInstance, version: int | None = None) -> dict[str, Any]:
    """The list row of an instance."""
    return {"id": instance.id, "model_key": instance.model_key, "model_version": version,
            "business_key": instance.business_key, "status": instance.status,
            "started_by": instance.started_by, "started_at": _iso(instance.started_at),
            "updated_at": _iso(instance.updated_at), "ended_at": _iso(instance.ended_at),
            "suspended_at": _iso(instance.suspended_at), "end_reason": instance.end_reason}


def list_instances(session: Session, environment_id: int, filters: InstanceFilter, *,
                   after_id: int | None = None, limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first, keyset-paged on id; returns the rows and the cursor of the next page."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}", code="invalid_limit")
    if filters.status and filters.status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", code="invalid_status")
    query = (select(ProcessInstance, ProcessModelVersion.version)
             .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
             .where(ProcessInstance.environment_id == environment_id))
    for column, value in ((ProcessInstance.status, filters.status), (ProcessInstance.model_key, filters.model_key),
                          (ProcessInstance.business_key, filters.business_key)):
        if value:
            query = query.where(column == value)
    if filters.started_after:
        query = query.where(ProcessInstance.started_at >= filters.started_after)
    if filters.started_before:
        query = query.where(ProcessInstance.started_at < filters.started_before)
    if filters.cause:
        query = query.where(with_open_incident(filters.cause))
    if after_id is not None:
        query = query.where(ProcessInstance.id < after_id)
    rows = session.execute(query.order_by(ProcessInstance.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [summary(i, v) for i, v in rows], (rows[-1][0].id if more else None)


def instance_view(session: Session, host: Host, *, actor: Actor, instance_id: int) -> dict[str, Any]:
    """Status, model version, masked data, per-element states, open tasks, incidents, interventions."""
    instance = instances.get_instance(session, actor.environment_id, instance_id)
    version = instances.version_of(session, instance)
    run = instances.load_run(session, host, instance, actor=actor)
    names = _element_names(version)
    view = summary(instance, version.version)
    view.update({
        "model": {"key": version.key, "version": version.version, "process_id": version.process_id,
                  "name": version.name, "version_id": version.id},
        "data": mask_secrets(run.last_data()),
        "elements": [{"element_id": e.element_id, "name": names.get(e.element_id, ""), "state": e.state,
                      "changed_at": _iso(e.changed_at)} for e in run.element_states()],
        "open_tasks": [_task_json(t) for t in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id,
                                    HumanTask.status.in_(OPEN_STATUSES)).order_by(HumanTask.id))],
        "incidents": [incident_json(i, with_stack=shows_stacks(actor)) for i in session.scalars(
            select(Incident).where(Incident.instance_id == instance.id).order_by(Incident.id))],
        "interventions": interventions(session, instance),
    })
    return view


def interventions(session: Session, instance: ProcessInstance) -> list[dict[str, Any]]:
    """Who intervened, when, why, and the state before and after (from the audit log)."""
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.environment_id == instance.environment_id, AuditEvent.instance_id == instance.id,
        AuditEvent.action.startswith("admin.")).order_by(AuditEvent.seq))
    written = [{"at": e.at, "actor": e.actor, "actor_type": e.actor_type, "action": e.action, "note": e.note,
                "target_type": e.target_type, "target_id": e.target_id, "before": e.before, "after": e.after}
               for e in events]
    # An operation answers in its own transaction: its entry is queued until the commit, yet it happened.
    return [{"at": _iso(e["at"]), "actor": e["actor"], "actor_type": e["actor_type"],
             "action": e["action"].split(".", 1)[1], "reason": e["note"], "target_type": e["target_type"],
             "target_id": e["target_id"], "before": e["before"], "after": e["after"]}
            for e in [*written, *audit.queued(session, instance_id=instance.id, prefix="admin.")]]


def history(session: Session, *, actor: Actor, instance_id: int) -> list[dict[str, Any]]:
    """Every audit entry of the instance, oldest first."""
    instance = instances.get_instance(session, actor.environment_id, instance_id)
    events = session.scalars(select(AuditEvent).where(AuditEvent.environment_id == instance.environment_id,
                                                      AuditEvent.instance_id == instance.id)
                             .order_by(AuditEvent.seq))
    return [entry_json(e) for e in events]


def diagram(session: Session, *, actor: Actor, instance_id: int) -> str:
    """The BPMN XML of the exact model version the instance runs on (the file holding its process)."""
    instance = instances.get_instance(session, actor.environment_id, instance_id)
    version = instances.version_of(session, instance)
    sources = version.bpmn_sources
    marker = f'id="{version.process_id}"'
    for name in sorted(sources):
        if marker in sources[name]:
            return str(sources[name])
    if not sources:
        raise NotFound("the model version has no BPMN file", code="diagram_not_found")
    return str(sources[min(sources)])


def shows_stacks(actor: Actor) -> bool:
    """Whether the actor sees incidents' stack traces: admins only (they name server files and code)."""
    return allowed(actor, "instances.admin")


def with_open_incident(cause: str) -> Any:
    """A condition on ProcessInstance: it has an open incident of this cause."""
    return select(Incident.id).where(Incident.instance_id == ProcessInstance.id, Incident.status == "open",
                                     Incident.cause == cause).exists()


def incident_json(incident: Incident, *, with_stack: bool = False) -> dict[str, Any]:
    """An incident with its plain cause (`cause` code, `causeText` in English; the web edges put it in the
    reader's language) and its technical detail: `error` (exception type and message), `element_id`,
    and `stack`, the trace for admins (null for everyone else)."""
    return {"id": incident.id, "instance_id": incident.instance_id, "element_id": incident.element_id,
            "cause": incident.cause, "cause_detail": incident.cause_detail,
            "causeText": causes.sentence(incident.cause, incident.cause_detail), "job_id": incident.job_id,
            "task_id": incident.task_id, "error": incident.error, "stack": incident.stack if with_stack else None,
            "retries_left": incident.retries_left, "status": incident.status,
            "created_at": _iso(incident.created_at), "resolved_at": _iso(incident.resolved_at)}


def list_incidents(session: Session, environment_id: int, *, status: str | None = "open",
                   instance_id: int | None = None, limit: int = 100, with_stack: bool = False,
                   before_id: int | None = None, cause: str | None = None) -> list[dict[str, Any]]:
    """Incidents of an environment, newest first (open ones by default), older than `before_id` if given,
    of one cause if given."""
    query = select(Incident).where(Incident.environment_id == environment_id)
    if cause:
        query = query.where(Incident.cause == cause)
    if before_id is not None:
        query = query.where(Incident.id < before_id)
    if status:
        query = query.where(Incident.status == status)
    if instance_id is not None:
        query = query.where(Incident.instance_id == instance_id)
    return [incident_json(i, with_stack=with_stack)
            for i in session.scalars(query.order_by(Incident.id.desc()).limit(limit))]


def _task_json(task: HumanTask) -> dict[str, Any]:
    return {"id": task.id, "element_id": task.element_id, "name": task.name, "status": task.status,
            "assignee": task.assignee, "candidate_users": task.candidate_users,
            "candidate_groups": task.candidate_groups, "candidate_roles": task.candidate_roles,
            "created_at": _iso(task.created_at), "due_at": _iso(task.due_at)}


def _element_names(version: ProcessModelVersion) -> dict[str, str]:
    names: dict[str, str] = {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for text in version.bpmn_sources.values():
        root = etree.fromstring(str(text).encode("utf-8"), parser)
        for node in root.iter():
            node_id, name = node.get("id"), node.get("name")
            if isinstance(node.tag, str) and node_id and name:
                names[node_id] = name
    return names


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
