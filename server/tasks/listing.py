"""The task list: what the caller may see, filtered, sorted by due date (none last) then id, paged.

Visibility is one SQL condition built from indexed columns and the `task_candidates` rows (never a
scan of the JSON candidate lists), so the list stays fast with 100,000 open tasks.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, String, and_, bindparam, false, func, or_, select, text
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.masterdata.normalise import search_key
from server.tasks import access
from server.tasks.models import DONE_STATUSES, HIDDEN_STATUSES, OPEN_STATUSES, HumanTask, TaskCandidate

STATUS_FILTERS = ("open", "done", "all")
MAX_PER_PAGE = 200
# Counting every visible task costs as much as reading them; past this many the total says "at least".
TOTAL_CAP = 1000


@dataclasses.dataclass(frozen=True)
class TaskQuery:
    """Filters of the task list; None means 'no filter'."""

    status: str = "open"
    mine: bool = False
    my_groups: bool = False
    my_roles: bool = False
    process: str | None = None
    group: str | None = None  # one candidate group (the web list's group filter)
    supplier: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    due_before: dt.datetime | None = None
    page: int = 1
    per_page: int = 50
    offset: int | None = None  # rows to skip; overrides `page` (the API's cursor)


@dataclasses.dataclass(frozen=True)
class TaskPage:
    tasks: list[HumanTask]
    total: int
    page: int
    per_page: int
    total_exact: bool = True


def _probe(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """EXISTS over task_candidates, probed per listed task through its primary key.

    The OFFSET 0 keeps PostgreSQL from turning the EXISTS into a hashed subplan, which reads every
    candidate row of the caller's groups (done tasks' too: 250,000 rows at 100,000 open tasks) before
    the first task is listed; probed per row, a page costs a few ms instead of hundreds."""
    probe = select(TaskCandidate.task_id).where(TaskCandidate.task_id == HumanTask.id, *conditions)
    return probe.offset(0).exists()


def _candidate_of(kind: str, names: Any) -> ColumnElement[bool]:
    return _probe(TaskCandidate.kind == kind, TaskCandidate.name.in_(list(names)))


def _may_see_condition(actor: Actor) -> ColumnElement[bool]:
    """Mirror of access.may_read in SQL for tasks of the caller's own environment: assignee,
    candidate (also once a colleague claimed it), or anyone when the model named nobody (also once
    someone claimed it)."""
    candidate = [_candidate_of("user", [actor.name])]
    if actor.groups:
        candidate.append(_candidate_of("group", actor.groups))
    if actor.roles:
        candidate.append(_candidate_of("role", actor.roles))
    nobody = and_(or_(HumanTask.assignee.is_(None), HumanTask.status == "claimed"), ~_probe())
    return or_(HumanTask.assignee == actor.name, *candidate, nobody)


def partner_tasks(session: Session, actor: Actor) -> list[int]:
    """Tasks of other environments delegated to the caller under an active partnership (few, by index)."""
    rows = session.execute(select(HumanTask.id, HumanTask.environment_id).where(
        HumanTask.delegate_environment_id == actor.environment_id, HumanTask.delegated_to == actor.name,
        HumanTask.environment_id != actor.environment_id)).all()
    partners = {env: access.partners(session, env, actor.environment_id) for env in {r[1] for r in rows}}
    return [task_id for task_id, env in rows if partners[env]]


def _visible(actor: Actor, partner_ids: list[int]) -> ColumnElement[bool]:
    """Own environment's tasks the caller may see, plus those delegated to them from partners.

    Same-environment delegation makes the delegate the assignee, so the own-environment condition
    stays one index-ordered scan; the partner tasks are added by id only when there are any."""
    own_env = HumanTask.environment_id == actor.environment_id
    if not (actor.kind == "system" or actor.has_role("admin", "auditor")):
        own_env = and_(own_env, or_(_may_see_condition(actor), HumanTask.owner == actor.name,
                                    HumanTask.completed_by == actor.name))
    return or_(own_env, HumanTask.id.in_(partner_ids)) if partner_ids else own_env


# Written out literally, exactly as in the partial indexes of migration 0006: a bound parameter
# would keep the planners from proving that the index applies.
STATUS_SQL = {
    "open": "human_tasks.status IN ('open', 'claimed', 'delegated')",
    "done": "human_tasks.status = 'completed'",
    "all": "human_tasks.status <> 'not_needed'",
}
assert set(STATUS_SQL["open"].split("'")[1::2]) == set(OPEN_STATUSES)
assert DONE_STATUSES == ("completed",) and HIDDEN_STATUSES == ("not_needed",)


def _status_condition(status: str) -> ColumnElement[bool]:
    return text(STATUS_SQL[status])  # type: ignore[return-value]


def _filters(actor: Actor, query: TaskQuery, partner_ids: list[int]) -> list[ColumnElement[bool]]:
    conditions = [_visible(actor, partner_ids), _status_condition(query.status)]
    if query.mine:
        mine = and_(HumanTask.environment_id == actor.environment_id, HumanTask.assignee == actor.name)
        conditions.append(or_(mine, HumanTask.id.in_(partner_ids)) if partner_ids else mine)
    if query.my_groups:
        conditions.append(_candidate_of("group", actor.groups) if actor.groups else false())
    if query.my_roles:
        conditions.append(_candidate_of("role", actor.roles) if actor.roles else false())
    if query.group:
        conditions.append(_candidate_of("group", [query.group]))
    if query.process:
        conditions.append(HumanTask.process_key == query.process)
    if query.supplier:
        # A prefix of the folded name (normalise.search_key: accents, case and punctuation ignored,
        # "cafe" finds "Café", "obrien" "O'Brien"), a range on the supplier_search indexes. The bounds
        # are written into the SQL (quoted by SQLAlchemy): as parameters of a statement psycopg had
        # prepared, PostgreSQL switched to a generic plan after a few requests that walked the due-date
        # index instead (page of 50: 4 -> 31 ms at 100,000 open tasks). Folding also drops a NUL, which
        # no SQL string literal can hold.
        prefix = search_key(query.supplier)
        conditions.append(HumanTask.supplier_search >= _inline(prefix))
        conditions.append(HumanTask.supplier_search < _inline(prefix + "\U0010ffff"))
    if query.amount_min is not None:
        conditions.append(HumanTask.amount >= query.amount_min)
    if query.amount_max is not None:
        conditions.append(HumanTask.amount <= query.amount_max)
    if query.due_before is not None:
        conditions.append(HumanTask.due_at < query.due_before)
    return conditions


def _inline(value: str) -> BindParameter[str]:
    return bindparam(None, value, type_=String(), literal_execute=True)


def list_tasks(session: Session, actor: Actor, query: TaskQuery) -> TaskPage:
    """One page of the tasks the caller may see, and how many match (counted up to TOTAL_CAP)."""
    per_page = max(1, min(query.per_page, MAX_PER_PAGE))
    page = max(1, query.page)
    conditions = _filters(actor, query, partner_tasks(session, actor))
    matching = select(HumanTask.id).where(*conditions).limit(TOTAL_CAP + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(matching)) or 0
    rows = session.scalars(select(HumanTask).where(*conditions)
                           .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
                           .offset((page - 1) * per_page if query.offset is None else query.offset)
                           .limit(per_page))
    return TaskPage(list(rows), min(counted, TOTAL_CAP), page, per_page, total_exact=counted <= TOTAL_CAP)


def counts(session: Session, actor: Actor) -> dict[str, int]:
    """Open, mine, my groups' and done tasks the actor can see (each counted up to the list's cap)."""
    def total(**query: Any) -> int:
        return list_tasks(session, actor, TaskQuery(per_page=1, **query)).total

    return {"open": total(), "mine": total(mine=True), "groups": total(my_groups=True) if actor.groups else 0,
            "done": total(status="done")}


def process_keys(session: Session, environment_id: int) -> list[str]:
    """Process keys that have tasks (for the filter's choices)."""
    return list(session.scalars(select(HumanTask.process_key).where(HumanTask.environment_id == environment_id)
                                .distinct().order_by(HumanTask.process_key)))
