"""Human tasks: claim, unclaim, complete (form data checked here), delegate, approve, disapprove, comment.

Every writer locks the task row first, so of two people acting at once the second one sees the
first one's result and gets a Conflict naming who won.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.db import utcnow
from server.engine import TaskNotReady
from server.errors import Conflict, Forbidden, InvalidInput
from server.host import Host
from server.instances import service as instances
from server.tasks import access, assignment, delegation, forms, foureyes
from server.tasks.models import OPEN_STATUSES, HumanTask

may_act = access.may_act
EDGES = ("api", "web", "cli")
ACTIONS = ("approve", "disapprove", "comment")
MAX_COMMENT = 4000


def get_task(session: Session, actor: Actor, task_id: int) -> HumanTask:
    """A task the caller may see (their environment's, or delegated to them), or NotFound."""
    return access.get_task(session, actor, task_id)


def _edge(after: dict[str, Any] | None, edge: str | None) -> dict[str, Any] | None:
    """The audit entry's `after`, naming the edge (api, web, cli) the request came through."""
    return after if edge is None else {**(after or {}), "edge": edge}


def _require_open(task: HumanTask) -> None:
    if task.status not in OPEN_STATUSES:
        who = f" by {task.completed_by}" if task.completed_by else ""
        raise Conflict(f"task {task.id} is already {task.status}{who}", code="task_not_open",
                       details=[{"status": task.status, "completed_by": task.completed_by}])


def claim(session: Session, *, actor: Actor, task_id: int, edge: str | None = None) -> HumanTask:
    """Make the caller the assignee; Conflict (naming the holder) if someone else holds it."""
    task = access.get_task(session, actor, task_id, lock=True)
    _require_open(task)
    if task.status == "delegated":
        if access.is_delegate(actor, task):
            return task
        raise Conflict(f"task {task.id} is delegated to {task.delegated_to}", code="task_delegated",
                       details=[{"status": task.status, "delegated_to": task.delegated_to}])
    if task.assignee and task.assignee != actor.name:
        raise Conflict(f"task {task.id} is claimed by {task.assignee}", code="task_claimed",
                       details=[{"status": task.status, "assignee": task.assignee}])
    if not may_act(actor, task):
        raise Forbidden("you are not a candidate for this task", code="not_a_candidate")
    if task.assignee == actor.name:
        return task  # the model assigned it to the caller already
    foureyes.check(session, task, actor)
    before = {"assignee": task.assignee}
    task.assignee, task.status = actor.name, "claimed"
    audit.record(session, actor=actor, action="task.claimed", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, before=before, after=_edge({"assignee": actor.name}, edge))
    session.flush()
    return task


def unclaim(session: Session, *, actor: Actor, task_id: int, edge: str | None = None) -> HumanTask:
    """Give a claimed task back to its candidates (the assignee or an admin); never to everyone when it
    had candidates or was the model's for one person."""
    task = access.get_task(session, actor, task_id, lock=True)
    _require_open(task)
    if task.status == "delegated":
        raise Conflict(f"task {task.id} is delegated to {task.delegated_to}", code="task_delegated",
                       details=[{"status": task.status, "delegated_to": task.delegated_to}])
    if task.environment_id != actor.environment_id or (
            task.assignee != actor.name and not actor.has_role("admin") and actor.kind != "system"):
        raise Forbidden("only the assignee or an admin can unclaim", code="not_assignee")
    before = assignment.snapshot(task)
    assignment.give_back(session, task)
    audit.record(session, actor=actor, action="task.unclaimed", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, before=before, after=_edge(assignment.snapshot(task), edge))
    session.flush()
    return task


def complete(session: Session, host: Host, *, actor: Actor, task_id: int, data: Mapping[str, Any],
             extra: Mapping[str, Any] | None = None, edge: str | None = None) -> HumanTask:
    """Complete a task with form data (validated against its form) and run the instance to its next wait.

    `extra` holds fields set by an action (approve, disapprove) that the form need not declare. A
    delegate's completion hands the task back to its owner unless the model lets the delegate decide."""
    task = access.get_task(session, actor, task_id, lock=True)
    _require_open(task)
    if not may_act(actor, task):
        raise Forbidden("you may not complete this task", code="not_a_candidate")
    acting = access.acting_for(session, actor, task)
    foureyes.check(session, task, acting)
    extra = dict(extra or {})
    cleaned = {**forms.validate_submission(task.form.get("schema"), {**data, **extra}), **extra}
    instance = instances.get_instance(session, task.environment_id, task.instance_id)
    if instance.status == "suspended":  # nobody acts on a held instance, a delegate handing back neither
        raise Conflict("the instance is suspended", code="instance_suspended")
    if task.status == "delegated" and access.is_delegate(actor, task) and not delegation.delegate_decides(task):
        return delegation.resolve(session, actor=acting, task=task, data=cleaned, edge=edge)
    run = instances.load_run(session, host, instance, actor=acting)
    payload = {**cleaned, foureyes.ACTORS_KEY: foureyes.actors_so_far(session, task, acting)}
    try:
        run.complete_user_task(task.engine_task_id, payload)
    except TaskNotReady as exc:
        raise Conflict(str(exc), code="task_not_open", details=[{"status": task.status}]) from None
    task.status, task.completed_at, task.completed_by = "completed", utcnow(), acting.name
    if task.delegation_state == "pending":
        task.delegation_state = "resolved"
    task.outcome = cleaned
    audit.record(session, actor=acting, action="task.completed", target_type="task", target_id=task.id,
                 instance_id=instance.id, after=_edge({"data": cleaned}, edge))
    session.flush()
    instances.advance_and_save(session, host, instance=instance, run=run, actor=acting)
    return task


def delegate(session: Session, *, actor: Actor, task_id: int, to: str, environment: str | None = None,
             edge: str | None = None) -> HumanTask:
    """Delegate an open task to a colleague, or to a user of a partner environment."""
    task = access.get_task(session, actor, task_id, lock=True)
    _require_open(task)
    return delegation.delegate(session, actor=actor, task=task, to=to, environment=environment, edge=edge)


def _offered(task: HumanTask, action: str) -> None:
    """A model may restrict the approval actions with the property `actions="approve,comment"`."""
    raw = (task.form.get("properties") or {}).get("actions")
    if raw and action not in [a.strip() for a in str(raw).split(",")]:
        raise InvalidInput(f"this task does not offer {action}", code="action_not_offered",
                           details=[{"field": "action", "message": f"{action} is not offered"}])


def _comment_text(text: Any, *, required: bool, field: str) -> str | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        if required:
            raise InvalidInput(f"a {field} is required", code="invalid_form_data",
                               details=[forms.problem(field, "required")])
        return None
    if not isinstance(text, str) or len(text) > MAX_COMMENT:
        raise InvalidInput(f"{field} must be text of at most {MAX_COMMENT} characters", code="invalid_form_data",
                           details=[forms.problem(field, "too_long", MAX_COMMENT)])
    return text.strip()


def approve(session: Session, host: Host, *, actor: Actor, task_id: int, comment: str | None = None,
            data: Mapping[str, Any] | None = None, edge: str | None = None) -> HumanTask:
    """Complete an approval task with `approved=True` (and an optional comment)."""
    _offered(access.get_task(session, actor, task_id), "approve")
    extra: dict[str, Any] = {"approved": True, "decision": "approve"}
    text = _comment_text(comment, required=False, field="comment")
    if text:
        extra["comment"] = text
    return complete(session, host, actor=actor, task_id=task_id, data=data or {}, extra=extra, edge=edge)


def disapprove(session: Session, host: Host, *, actor: Actor, task_id: int, reason: str | None,
               data: Mapping[str, Any] | None = None, edge: str | None = None) -> HumanTask:
    """Complete an approval task with `approved=False`; the reason is required."""
    _offered(access.get_task(session, actor, task_id), "disapprove")
    text = _comment_text(reason, required=True, field="reason")
    extra = {"approved": False, "decision": "disapprove", "reason": text}
    return complete(session, host, actor=actor, task_id=task_id, data=data or {}, extra=extra, edge=edge)


def comment(session: Session, *, actor: Actor, task_id: int, text: str, edge: str | None = None) -> HumanTask:
    """Add a comment to an open task without completing it (whoever may act, and its owner)."""
    task = access.get_task(session, actor, task_id, lock=True)
    _offered(task, "comment")
    _require_open(task)
    if not (may_act(actor, task) or (task.owner == actor.name and task.environment_id == actor.environment_id)):
        raise Forbidden("you may not comment on this task", code="not_a_candidate")
    acting = access.acting_for(session, actor, task)
    body = _comment_text(text, required=True, field="text")
    task.comments = [*task.comments, {"by": acting.name, "at": utcnow().isoformat(), "text": body}]
    audit.record(session, actor=acting, action="task.commented", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, after=_edge({"text": body}, edge))
    session.flush()
    return task


def open_tasks_of(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status.in_(OPEN_STATUSES))
                                .order_by(HumanTask.id)))
