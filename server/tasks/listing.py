"""The task list: what the caller may see, filtered, sorted by due date (none last) then id, paged.

Visibility is one SQL condition built from indexed columns and the `task_candidates` rows (never a
scan of the JSON candidate lists), so the list stays fast with 100,000 open tasks.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.tasks.models import DONE_STATUSES, HIDDEN_STATUSES, OPEN_STATUSES, HumanTask, TaskCandidate

STATUS_FILTERS = ("open", "done", "all")
MAX_PER_PAGE = 200


@dataclasses.dataclass(frozen=True)
class TaskQuery:
    """Filters of the task list; None means 'no filter'."""

    status: str = "open"
    mine: bool = False
    my_groups: bool = False
    my_roles: bool = False
    process: str | None = None
    supplier: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    due_before: dt.datetime | None = None
    page: int = 1
    per_page: int = 50


@dataclasses.dataclass(frozen=True)
class TaskPage:
    tasks: list[HumanTask]
    total: int
    page: int
    per_page: int


def _candidate_of(kind: str, names: Any) -> ColumnElement[bool]:
    return exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == kind,
                          TaskCandidate.name.in_(list(names)))


def _may_see_condition(actor: Actor) -> ColumnElement[bool]:
    """Mirror of access.may_read in SQL for tasks of the caller's own environment: assignee,
    candidate (also once a colleague claimed it), or anyone when the task names nobody."""
    candidate = [_candidate_of("user", [actor.name])]
    if actor.groups:
        candidate.append(_candidate_of("group", actor.groups))
    if actor.roles:
        candidate.append(_candidate_of("role", actor.roles))
    nobody = and_(HumanTask.assignee.is_(None), ~exists().where(TaskCandidate.task_id == HumanTask.id))
    return or_(HumanTask.assignee == actor.name, *candidate, nobody)


def _visible(actor: Actor) -> ColumnElement[bool]:
    delegated_to_me = and_(HumanTask.delegate_environment_id == actor.environment_id,
                           HumanTask.delegated_to == actor.name)
    if actor.kind == "system" or actor.has_role("admin", "auditor"):
        return or_(HumanTask.environment_id == actor.environment_id, delegated_to_me)
    own_env = and_(HumanTask.environment_id == actor.environment_id,
                   or_(_may_see_condition(actor), HumanTask.owner == actor.name,
                       HumanTask.completed_by == actor.name))
    return or_(own_env, delegated_to_me)


def _status_condition(status: str) -> ColumnElement[bool]:
    if status == "done":
        return HumanTask.status.in_(DONE_STATUSES)
    if status == "all":
        return HumanTask.status.not_in(HIDDEN_STATUSES)
    return HumanTask.status.in_(OPEN_STATUSES)


def _filters(actor: Actor, query: TaskQuery) -> list[ColumnElement[bool]]:
    conditions = [_visible(actor), _status_condition(query.status)]
    if query.mine:
        conditions.append(or_(and_(HumanTask.environment_id == actor.environment_id,
                                   HumanTask.assignee == actor.name),
                              and_(HumanTask.delegate_environment_id == actor.environment_id,
                                   HumanTask.delegated_to == actor.name)))
    if query.my_groups:
        conditions.append(_candidate_of("group", actor.groups) if actor.groups else false())
    if query.my_roles:
        conditions.append(_candidate_of("role", actor.roles) if actor.roles else false())
    if query.process:
        conditions.append(HumanTask.process_key == query.process)
    if query.supplier:
        escaped = query.supplier.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(func.lower(HumanTask.supplier_name).like(escaped.lower() + "%", escape="\\"))
    if query.amount_min is not None:
        conditions.append(HumanTask.amount >= query.amount_min)
    if query.amount_max is not None:
        conditions.append(HumanTask.amount <= query.amount_max)
    if query.due_before is not None:
        conditions.append(HumanTask.due_at < query.due_before)
    return conditions


def list_tasks(session: Session, actor: Actor, query: TaskQuery) -> TaskPage:
    """One page of the tasks the caller may see, with the total number matching the filters."""
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    conditions = _filters(actor, query)
    total = session.scalar(select(func.count()).select_from(HumanTask).where(*conditions)) or 0
    rows = session.scalars(select(HumanTask).where(*conditions)
                           .order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)
                           .offset((page - 1) * per_page).limit(per_page))
    return TaskPage(list(rows), total, page, per_page)
