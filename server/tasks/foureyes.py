"""Four eyes: a task's `fourEyes` property names people who may not act on it.

Each name is a process-data field holding a login (`claimant`), the element id of an earlier task
(whoever completed it, e.g. `first_approval`), or `initiator` (who started the instance). The model
writes e.g. `<camunda:property name="fourEyes" value="claimant, first_approval" />`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.errors import Forbidden
from server.instances.models import ProcessInstance
from server.tasks.models import HumanTask

ACTORS_KEY = "_actors"


def excluded_from_data(names: Iterable[str], data: Mapping[str, Any]) -> list[str]:
    """Logins the names point at in the task's data (fields and `_actors`), resolved at creation."""
    given = data.get(ACTORS_KEY)
    actors: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    found: list[str] = []
    for name in names:
        for source in (actors.get(name), data.get(name)):
            if isinstance(source, str) and source:
                found.append(source)
            elif isinstance(source, (list, tuple)):
                found.extend(str(s) for s in source if s)
    return sorted(set(found))


def excluded_actors(session: Session, task: HumanTask) -> set[str]:
    """Everyone the four-eyes rule keeps off this task, from its data and the instance's history."""
    names = [str(n) for n in task.form.get("four_eyes") or []]
    if not names:
        return set()
    excluded = set(task.form.get("excluded") or ())
    earlier = session.scalars(select(HumanTask.completed_by).where(
        HumanTask.instance_id == task.instance_id, HumanTask.element_id.in_(names),
        HumanTask.status == "completed", HumanTask.id != task.id))
    excluded.update(who for who in earlier if who)
    if "initiator" in names:
        instance = session.get(ProcessInstance, task.instance_id)
        if instance is not None:
            excluded.add(instance.started_by)
    return excluded


def check(session: Session, task: HumanTask, actor: Actor, *, who: str | None = None) -> None:
    """Forbidden when `who` (default: the actor) is kept off the task by its four-eyes rule.

    The system acts on any task itself, but cannot hand one to a person the rule keeps off it."""
    person = who or actor.name
    if (who is None and actor.kind == "system") or person not in excluded_actors(session, task):
        return
    raise Forbidden(f"four eyes: {person} already acted in this case and may not act on this task",
                    code="four_eyes", details=[{"who": person, "rule": task.form.get("four_eyes")}])


def allows(session: Session, task: HumanTask, actor: Actor) -> bool:
    """Whether the four-eyes rule lets the actor act on the task (what `check` would not refuse)."""
    return actor.kind == "system" or actor.name not in excluded_actors(session, task)


def actors_so_far(session: Session, task: HumanTask, actor: Actor) -> dict[str, list[str]]:
    """`_actors` for the process data: per element, who completed its tasks (including this one)."""
    rows = session.execute(select(HumanTask.element_id, HumanTask.completed_by).where(
        HumanTask.instance_id == task.instance_id, HumanTask.status == "completed")
        .order_by(HumanTask.completed_at, HumanTask.id)).all()
    result: dict[str, list[str]] = {}
    for element_id, who in [*rows, (task.element_id, actor.name)]:
        if who and who not in result.setdefault(element_id, []):
            result[element_id].append(who)
    return result
