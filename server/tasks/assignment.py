"""Who a task may be given to, and giving it: the one path for reassigning, delegating and unclaiming.

A task goes only to an active user of the environment whose roles let them act on tasks, and never to
someone its four-eyes rule keeps off it. Reassigning to one person keeps the task's candidates, so an
unclaim gives it back to them; a task the model gave to one person goes back to that person.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.auth.models import Group, Role, User
from server.auth.permissions import allowed
from server.auth.service import make_actor
from server.errors import InvalidInput
from server.tasks import access, foureyes
from server.tasks.models import HumanTask, TaskCandidate

ACT = "tasks.act"


def eligible_user(session: Session, *, environment_id: int, login: str, field: str) -> User:
    """The active user `login` of the environment who may act on tasks, or InvalidInput naming them."""
    user = session.scalars(select(User).where(User.environment_id == environment_id, User.login == login,
                                              User.active.is_(True))).one_or_none()
    if user is None:
        raise InvalidInput(f"there is no active user {login!r} in this environment", code="unknown_user",
                           details=[{"field": field, "message": f"no active user {login}", "login": login}])
    person = make_actor(session, user_id=user.id, login=user.login, environment_id=environment_id)
    if not allowed(person, ACT):
        raise InvalidInput(f"{login!r} may not act on tasks (roles: {', '.join(sorted(person.roles)) or 'none'})",
                           code="not_eligible",
                           details=[{"field": field, "message": f"{login} may not act on tasks", "login": login}])
    return user


def _known(session: Session, model: type[Group | Role], environment_id: int, names: Sequence[str],
           kind: str) -> None:
    found = set(session.scalars(select(model.name).where(model.environment_id == environment_id,
                                                         model.name.in_(list(names)))))
    for name in names:
        if name not in found:
            raise InvalidInput(f"there is no {kind} {name!r} in this environment", code=f"unknown_{kind}",
                               details=[{"field": f"{kind}s", "message": f"no {kind} {name}"}])


def give(session: Session, *, actor: Actor, task: HumanTask, assignee: str | None, users: Sequence[str] = (),
         groups: Sequence[str] = (), roles: Sequence[str] = ()) -> None:
    """Reassign after checking every name; candidates are replaced only when some are named (flush only)."""
    env = task.environment_id
    for login in ([assignee] if assignee else []):
        eligible_user(session, environment_id=env, login=login, field="assignee")
    for login in users:
        eligible_user(session, environment_id=env, login=login, field="users")
    _known(session, Group, env, groups, "group")
    _known(session, Role, env, roles, "role")
    for login in dict.fromkeys([*([assignee] if assignee else []), *users]):
        foureyes.check(session, task, actor, who=login)
    if users or groups or roles:
        set_candidates(session, task, users=users, groups=groups, roles=roles)
    elif not access.names_candidates(task) and task.assignee and task.status == "open":
        # The model gave the task to one person: they stay its candidate while someone else holds it.
        set_candidates(session, task, users=[task.assignee], groups=(), roles=())
    if task.status == "delegated":  # the delegation ends: its delegate (maybe a partner's user) loses sight of it
        task.delegated_to, task.delegate_environment_id, task.delegation_state = None, None, None
    task.assignee = assignee or None
    task.status = "claimed" if assignee else "open"


def give_back(session: Session, task: HumanTask) -> None:
    """Unclaim: to the candidates; a task the model gave to its holder stays theirs to claim again."""
    if not access.names_candidates(task) and task.assignee and task.status == "open":
        set_candidates(session, task, users=[task.assignee], groups=(), roles=())
    task.assignee, task.status = None, "open"


def set_candidates(session: Session, task: HumanTask, *, users: Sequence[str], groups: Sequence[str],
                   roles: Sequence[str]) -> None:
    """Replace the candidates, with the index rows the task list filters on."""
    task.candidate_users, task.candidate_groups, task.candidate_roles = list(users), list(groups), list(roles)
    session.execute(delete(TaskCandidate).where(TaskCandidate.task_id == task.id))
    for kind, names in (("user", users), ("group", groups), ("role", roles)):
        for name in dict.fromkeys(names):
            session.add(TaskCandidate(task_id=task.id, kind=kind, name=name))


def snapshot(task: HumanTask) -> dict[str, Any]:
    """The assignment as the audit log records it."""
    return {"task": task.id, "element": task.element_id, "assignee": task.assignee,
            "users": list(task.candidate_users), "groups": list(task.candidate_groups),
            "roles": list(task.candidate_roles)}
