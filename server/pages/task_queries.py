"""The task list's query: what the caller may see, with the page's filters, counts and paging.

A small read-only query kept beside the page until the tasks service offers a list function with
the same filters; it only selects, never writes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.tasks.models import OPEN_STATUSES, HumanTask, TaskCandidate

DONE_STATUSES = ("completed",)


@dataclasses.dataclass(frozen=True)
class TaskFilters:
    """The task list's filters as the page's query string gives them."""

    state: str = "open"  # open, done, all
    mine: bool = False
    group: str = ""
    process: str = ""
    supplier: str = ""
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    due_before: dt.date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> TaskFilters:
        state = args.get("state", "open")
        return cls(state=state if state in ("open", "done", "all") else "open", mine=args.get("mine") == "1",
                   group=args.get("group", "").strip(), process=args.get("process", "").strip(),
                   supplier=args.get("supplier", "").strip(), amount_min=_decimal(args.get("amount_min")),
                   amount_max=_decimal(args.get("amount_max")), due_before=_date(args.get("due_before")))


def _decimal(raw: str | None) -> Decimal | None:
    try:
        return Decimal(raw.replace(",", ".")) if raw and raw.strip() else None
    except InvalidOperation:
        return None


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _candidate(kind: str, names: frozenset[str] | set[str]) -> Any:
    return exists().where(TaskCandidate.task_id == HumanTask.id, TaskCandidate.kind == kind,
                          TaskCandidate.name.in_(sorted(names)))


def visible(actor: Actor) -> Any:
    """Tasks the actor may see: admins and auditors all; others theirs, their candidates' and unassigned."""
    if actor.kind == "system" or actor.has_role("admin", "auditor"):
        return HumanTask.environment_id == actor.environment_id
    unrestricted = ~exists().where(TaskCandidate.task_id == HumanTask.id)
    return and_(HumanTask.environment_id == actor.environment_id, or_(
        HumanTask.assignee == actor.name, HumanTask.completed_by == actor.name,
        HumanTask.owner == actor.name, _candidate("user", {actor.name}), _candidate("group", set(actor.groups)),
        _candidate("role", set(actor.roles)), and_(HumanTask.assignee.is_(None), unrestricted)))


def _filtered(actor: Actor, filters: TaskFilters) -> Select[Any]:
    query = select(HumanTask).where(visible(actor))
    if filters.state == "open":
        query = query.where(HumanTask.status.in_(OPEN_STATUSES))
    elif filters.state == "done":
        query = query.where(HumanTask.status.in_(DONE_STATUSES))
    if filters.mine:
        query = query.where(or_(HumanTask.assignee == actor.name, HumanTask.completed_by == actor.name))
    if filters.group:
        query = query.where(_candidate("group", {filters.group}))
    if filters.process:
        query = query.where(HumanTask.process_key == filters.process)
    if filters.supplier:
        query = query.where(func.lower(HumanTask.supplier_name).contains(filters.supplier.lower(), autoescape=True))
    if filters.amount_min is not None:
        query = query.where(HumanTask.amount >= filters.amount_min)
    if filters.amount_max is not None:
        query = query.where(HumanTask.amount <= filters.amount_max)
    if filters.due_before is not None:
        limit = dt.datetime.combine(filters.due_before, dt.time.max, tzinfo=dt.UTC)
        query = query.where(HumanTask.due_at <= limit)
    return query


def list_tasks(session: Session, actor: Actor, filters: TaskFilters, *, page: int, per_page: int
               ) -> tuple[list[HumanTask], int]:
    """One page of matching tasks, due first (no due date last), and the total."""
    query = _filtered(actor, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    if filters.state == "done":
        order = (HumanTask.completed_at.desc(), HumanTask.id.desc())  # type: ignore[assignment]
    items = session.scalars(query.order_by(*order).offset((page - 1) * per_page).limit(per_page)).all()
    return list(items), total


def counts(session: Session, actor: Actor) -> dict[str, int]:
    """Open, mine, my groups' and done tasks the actor can see."""
    base = select(func.count()).select_from(HumanTask).where(visible(actor))
    open_ = base.where(HumanTask.status.in_(OPEN_STATUSES))
    return {
        "open": session.scalar(open_) or 0,
        "mine": session.scalar(open_.where(HumanTask.assignee == actor.name)) or 0,
        "groups": session.scalar(open_.where(_candidate("group", set(actor.groups)))) or 0 if actor.groups else 0,
        "done": session.scalar(base.where(HumanTask.status.in_(DONE_STATUSES))) or 0,
    }


def process_keys(session: Session, environment_id: int) -> list[str]:
    """Process keys that have tasks (for the filter's choices)."""
    return list(session.scalars(select(HumanTask.process_key).where(HumanTask.environment_id == environment_id)
                                .distinct().order_by(HumanTask.process_key)))
