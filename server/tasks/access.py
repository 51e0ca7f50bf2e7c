"""Who may see and who may act on a human task, including delegates from partner environments."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.auth.models import Environment, Partnership
from server.errors import NotFound
from server.tasks.models import HumanTask

READ_ALL_ROLES = ("admin", "auditor")


def partners(session: Session, environment_id: int, other_id: int) -> bool:
    """Whether an active partnership joins the two environments (in either direction)."""
    if environment_id == other_id:
        return False
    found = session.scalars(select(Partnership.id).where(
        Partnership.status == "active",
        or_((Partnership.environment_id == environment_id) & (Partnership.partner_id == other_id),
            (Partnership.environment_id == other_id) & (Partnership.partner_id == environment_id)))).first()
    return found is not None


def is_delegate(actor: Actor, task: HumanTask) -> bool:
    """Whether the task was delegated to this very user (of this environment)."""
    return bool(task.delegated_to) and task.delegated_to == actor.name and (
        task.delegate_environment_id == actor.environment_id)


def is_partner_delegate(actor: Actor, task: HumanTask) -> bool:
    return task.environment_id != actor.environment_id and is_delegate(actor, task)


def may_act(actor: Actor, task: HumanTask) -> bool:
    """Admins and the system of the task's environment, the delegate of a delegated task, the assignee,
    or a candidate by user, group or role if nobody claimed it (a task without candidates: anyone)."""
    if task.status == "delegated":
        return is_delegate(actor, task) or (
            actor.environment_id == task.environment_id and (actor.kind == "system" or actor.has_role("admin")))
    if actor.environment_id != task.environment_id:
        return False
    if actor.kind == "system" or actor.has_role("admin"):
        return True
    if task.assignee:
        return task.assignee == actor.name
    return is_candidate(actor, task) or not names_candidates(task)


def names_candidates(task: HumanTask) -> bool:
    """Whether the task names candidate users, groups or roles (without any, it is everyone's)."""
    return bool(task.candidate_users or task.candidate_groups or task.candidate_roles)


def is_everyones(task: HumanTask) -> bool:
    """A task the model gave to nobody: everyone in its environment sees it, also once claimed."""
    return not names_candidates(task) and (task.assignee is None or task.status == "claimed")


def is_candidate(actor: Actor, task: HumanTask) -> bool:
    """Named as a candidate user, or in a candidate group or role (whoever holds the task now)."""
    return (actor.name in task.candidate_users or bool(actor.groups.intersection(task.candidate_groups))
            or bool(actor.roles.intersection(task.candidate_roles)))


def may_read(actor: Actor, task: HumanTask) -> bool:
    """Everyone who may act, the candidates (also once a colleague claimed it, so they see who did;
    for a task without candidates that is everyone in its environment), admins and auditors, the
    owner, whoever completed it, and its delegates."""
    if is_delegate(actor, task):
        return True
    if actor.environment_id != task.environment_id:
        return False
    return (actor.kind == "system" or actor.has_role(*READ_ALL_ROLES) or may_act(actor, task)
            or is_candidate(actor, task) or is_everyones(task)
            or actor.name in (task.owner, task.completed_by, task.assignee))


def get_task(session: Session, actor: Actor, task_id: int, *, lock: bool = False) -> HumanTask:
    """A task the caller may see, or NotFound (also for other environments: nothing leaks).

    `lock` takes the row lock first, so of two simultaneous writers the second waits and then sees
    the first one's result (and can say who won) instead of failing on a version counter."""
    task = session.get(HumanTask, task_id, with_for_update=lock or None, populate_existing=lock)
    if task is None or not may_read(actor, task):
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    if is_partner_delegate(actor, task) and not partners(session, task.environment_id, actor.environment_id):
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    return task


def acting_for(session: Session, actor: Actor, task: HumanTask) -> Actor:
    """The actor recorded in the task's environment: a partner's user appears as login@environment."""
    if actor.environment_id == task.environment_id:
        return actor
    home = session.get(Environment, actor.environment_id)
    return Actor(kind=actor.kind, name=f"{actor.name}@{home.name if home else actor.environment_id}",
                 environment_id=task.environment_id, user_id=actor.user_id)
