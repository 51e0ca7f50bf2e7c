"""Human tasks: who may see and act on them, claim, unclaim and complete."""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.db import utcnow
from server.engine import TaskNotReady
from server.errors import Conflict, Forbidden, NotFound
from server.host import Host
from server.instances import service as instances
from server.tasks.models import OPEN_STATUSES, HumanTask


def get_task(session: Session, actor: Actor, task_id: int) -> HumanTask:
    """A task of the caller's environment, or NotFound."""
    task = session.get(HumanTask, task_id)
    if task is None or task.environment_id != actor.environment_id:
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    return task


def may_act(actor: Actor, task: HumanTask) -> bool:
    """Admins, the assignee, or a candidate by user, group or role (if nobody claimed it)."""
    if actor.kind == "system" or actor.has_role("admin"):
        return True
    if task.assignee:
        return task.assignee == actor.name
    return (actor.name in task.candidate_users or bool(actor.groups.intersection(task.candidate_groups))
            or bool(actor.roles.intersection(task.candidate_roles))
            or not (task.candidate_users or task.candidate_groups or task.candidate_roles))


def _require_open(task: HumanTask) -> None:
    if task.status not in OPEN_STATUSES:
        who = f" by {task.completed_by}" if task.completed_by else ""
        raise Conflict(f"task {task.id} is already {task.status}{who}", code="task_not_open",
                       details=[{"status": task.status, "completed_by": task.completed_by}])


def claim(session: Session, *, actor: Actor, task_id: int) -> HumanTask:
    """Make the caller the assignee; Conflict if someone else holds it."""
    task = get_task(session, actor, task_id)
    _require_open(task)
    if task.assignee and task.assignee != actor.name:
        raise Conflict(f"task {task.id} is claimed by {task.assignee}", code="task_claimed",
                       details=[{"assignee": task.assignee}])
    if not may_act(actor, task):
        raise Forbidden("you are not a candidate for this task", code="not_a_candidate")
    before = {"assignee": task.assignee}
    task.assignee, task.status = actor.name, "claimed"
    audit.record(session, actor=actor, action="task.claimed", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, before=before, after={"assignee": actor.name})
    session.flush()
    return task


def unclaim(session: Session, *, actor: Actor, task_id: int) -> HumanTask:
    """Give a claimed task back to its candidates."""
    task = get_task(session, actor, task_id)
    _require_open(task)
    if task.assignee != actor.name and not actor.has_role("admin"):
        raise Forbidden("only the assignee or an admin can unclaim", code="not_assignee")
    before = {"assignee": task.assignee}
    task.assignee, task.status = None, "open"
    audit.record(session, actor=actor, action="task.unclaimed", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, before=before, after={"assignee": None})
    session.flush()
    return task


def complete(session: Session, host: Host, *, actor: Actor, task_id: int, data: Mapping[str, Any]) -> HumanTask:
    """Complete a task with (already validated) form data and run the instance to its next wait."""
    task = get_task(session, actor, task_id)
    _require_open(task)
    if not may_act(actor, task):
        raise Forbidden("you may not complete this task", code="not_a_candidate")
    instance = instances.get_instance(session, actor.environment_id, task.instance_id)
    if instance.status == "suspended":
        raise Conflict("the instance is suspended", code="instance_suspended")
    run = instances.load_run(session, host, instance, actor=actor)
    try:
        run.complete_user_task(task.engine_task_id, dict(data))
    except TaskNotReady as exc:
        raise Conflict(str(exc), code="task_not_open") from None
    task.status, task.completed_at, task.completed_by = "completed", utcnow(), actor.name
    task.outcome = dict(data)
    audit.record(session, actor=actor, action="task.completed", target_type="task", target_id=task.id,
                 instance_id=instance.id, after={"data": dict(data)})
    session.flush()
    instances.advance_and_save(session, host, instance=instance, run=run, actor=actor)
    return task


def open_tasks_of(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status.in_(OPEN_STATUSES))
                                .order_by(HumanTask.id)))
