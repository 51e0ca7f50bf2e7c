"""Delegation, owner / assignee style: the delegate does their part, the owner gets the task back.

A model lets the delegate decide instead with the task property `delegateDecides=true`. Delegation
to a user of another environment needs an active partnership; without one the answer is the same
403 whether or not that environment or user exists, so nothing leaks.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import Environment
from server.errors import Conflict, Forbidden, InvalidInput
from server.tasks import access, assignment, foureyes
from server.tasks.models import HumanTask

TRUE = ("true", "1", "yes")


def _edge(after: dict[str, Any], edge: str | None) -> dict[str, Any]:
    return after if edge is None else {**after, "edge": edge}


def delegate_decides(task: HumanTask) -> bool:
    """Whether the model lets a delegate complete the task instead of handing it back."""
    props = task.form.get("properties") or {}
    return str(props.get("delegateDecides", "")).strip().lower() in TRUE


def _target_environment(session: Session, task: HumanTask, name: str | None) -> int:
    if not name:
        return task.environment_id
    env = session.scalars(select(Environment).where(Environment.name == name)).one_or_none()
    if env is not None and env.id == task.environment_id:
        return env.id
    if env is None or not access.partners(session, task.environment_id, env.id):
        raise Forbidden("tasks can only be delegated to environments you have a partnership with",
                        code="no_partnership")
    return env.id


def delegate(session: Session, *, actor: Actor, task: HumanTask, to: str,
             environment: str | None = None, edge: str | None = None) -> HumanTask:
    """Hand an open task to `to` (optionally in a partner environment); the caller stays its owner."""
    if not isinstance(to, str) or not to.strip():
        raise InvalidInput("name the user to delegate to", code="invalid_delegate",
                           details=[{"field": "to", "message": "is required"}])
    if task.status == "delegated":
        raise Conflict(f"task {task.id} is already delegated to {task.delegated_to}", code="task_delegated",
                       details=[{"status": task.status, "delegated_to": task.delegated_to}])
    if not access.may_act(actor, task) or access.is_partner_delegate(actor, task):
        raise Forbidden("you may not delegate this task", code="not_a_candidate")
    foureyes.check(session, task, actor)  # whom four eyes keeps off a task does not pick who decides it
    env_id = _target_environment(session, task, environment)
    user = assignment.eligible_user(session, environment_id=env_id, login=to.strip(), field="to")
    if env_id == task.environment_id:
        if user.login == actor.name:
            raise InvalidInput("you cannot delegate a task to yourself", code="invalid_delegate",
                               details=[{"field": "to", "message": "is yourself"}])
        foureyes.check(session, task, actor, who=user.login)
    before = {"assignee": task.assignee, "owner": task.owner, "status": task.status}
    task.owner = task.owner or task.assignee or actor.name
    task.assignee = user.login if env_id == task.environment_id else None
    task.delegated_to, task.delegate_environment_id = user.login, env_id
    task.status, task.delegation_state = "delegated", "pending"
    audit.record(session, actor=actor, action="task.delegated", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, before=before,
                 after=_edge({"delegated_to": user.login, "environment": environment or None, "owner": task.owner}, edge))
    session.flush()
    return task


def resolve(session: Session, *, actor: Actor, task: HumanTask, data: Mapping[str, Any],
            edge: str | None = None) -> HumanTask:
    """The delegate's part is done: the task goes back to its owner, marked resolved, with their data."""
    task.assignee, task.status, task.delegation_state = task.owner, "claimed", "resolved"
    task.outcome = {"delegate": actor.name, "data": dict(data)}
    audit.record(session, actor=actor, action="task.resolved", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, after=_edge({"owner": task.owner, "data": dict(data)}, edge))
    session.flush()
    return task
