"""/api/v1/tasks: the task list, one task with its form and invoice, and the task actions."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.api.auth import current_actor, host, requires
from server.api.paging import Paging, next_offset, paging
from server.errors import Conflict, InvalidInput
from server.tasks import detail as details
from server.tasks import listing
from server.tasks import service as tasks
from server.tasks.models import HumanTask

bp = Blueprint("api_tasks", __name__, url_prefix="/api/v1/tasks")
TRUE = ("true", "1", "yes")


def task_json(task: HumanTask) -> dict[str, Any]:
    """What lists and detail pages show of a task."""
    return {
        "id": task.id, "name": task.name, "element_id": task.element_id, "process_key": task.process_key,
        "instance_id": task.instance_id, "status": task.status, "assignee": task.assignee, "owner": task.owner,
        "candidate_users": task.candidate_users, "candidate_groups": task.candidate_groups,
        "candidate_roles": task.candidate_roles, "supplier_name": task.supplier_name,
        "amount": str(task.amount) if task.amount is not None else None,
        "due_at": _iso(task.due_at), "created_at": _iso(task.created_at), "completed_at": _iso(task.completed_at),
        "completed_by": task.completed_by, "delegated_to": task.delegated_to,
        "delegation_state": task.delegation_state, "multi_instance_item": task.form.get("item"),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _query() -> listing.TaskQuery:
    args, bad = request.args, []

    def parse(name: str, convert: Callable[[str], Any], message: str) -> Any:
        raw = args.get(name)
        if raw in (None, ""):
            return None
        try:
            return convert(raw)
        except (ValueError, InvalidOperation):
            bad.append({"field": name, "message": message})
            return None

    status = args.get("status", "open")
    if status not in listing.STATUS_FILTERS:
        bad.append({"field": "status", "message": "must be open, done or all"})
    try:
        page = paging(maximum=listing.MAX_PER_PAGE)
    except InvalidInput as exc:
        bad.extend(exc.details)
        page = Paging(listing.MAX_PER_PAGE, None)
    query = listing.TaskQuery(
        status=status, mine=args.get("mine", "").lower() in TRUE, my_groups=args.get("groups") == "mine",
        my_roles=args.get("roles") == "mine", process=args.get("process") or None,
        supplier=args.get("supplier") or None,
        amount_min=parse("amount_min", _decimal, "must be a number"),
        amount_max=parse("amount_max", _decimal, "must be a number"),
        due_before=parse("due_before", _datetime, "must be an ISO date or date-time"),
        offset=page.offset(), per_page=page.limit)
    for name in ("supplier", "process"):
        if "\x00" in args.get(name, ""):
            bad.append({"field": name, "message": "must not contain a NUL character"})
    if bad:
        raise InvalidInput("invalid task list filters", code="invalid_filter", details=bad)
    return query


def _decimal(raw: str) -> Decimal:
    value = Decimal(raw)
    if not value.is_finite():
        raise ValueError(raw)
    return value


def _datetime(raw: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(raw)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object", code="invalid_json")
    return body


def _data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise InvalidInput("data must be a JSON object", code="invalid_form_data",
                           details=[{"field": "data", "message": "must be an object"}])
    return data


@bp.get("")
@requires("tasks.read")
def list_tasks() -> Response:
    """Open tasks the caller may see by default; filters, paging and a total."""
    query = _query()
    with host().db.unit_of_work() as session:
        page = listing.list_tasks(session, current_actor(), query)
        items = [task_json(t) for t in page.tasks]
    more = len(items) == page.per_page and (not page.total_exact or (query.offset or 0) + len(items) < page.total)
    cursor = next_offset(paging(maximum=listing.MAX_PER_PAGE), returned=len(items), more=more)
    return jsonify({"tasks": items, "total": page.total, "total_exact": page.total_exact, "next_cursor": cursor})


@bp.get("/<int:task_id>")
@requires("tasks.read")
def show(task_id: int) -> Response:
    """The task, its form schema, the data the form shows, the invoice and the task's history."""
    with host().db.unit_of_work() as session:
        found = details.task_detail(session, host(), actor=current_actor(), task_id=task_id)
        payload = {**task_json(found.task), "form": {"key": found.task.form.get("key"),
                                                    "schema": found.task.form.get("schema") or None},
                   "data": found.data, "invoice": found.invoice, "history": found.history,
                   "comments": found.task.comments, "may_act": found.may_act}
    return jsonify(payload)


def _act(task_id: int, action: Callable[..., HumanTask], **kwargs: Any) -> Response:
    """Run one task action in its own unit of work; a lost race answers 409 naming who won."""
    try:
        with host().db.unit_of_work() as session:
            task = action(session, actor=current_actor(), task_id=task_id, **kwargs)
            payload = task_json(task)
    except Conflict as exc:
        if exc.code != "concurrent_update":
            raise
        raise _who_won(task_id, exc) from None
    return jsonify(payload)


def _who_won(task_id: int, exc: Conflict) -> Conflict:
    with host().db.unit_of_work() as session:
        task = session.get(HumanTask, task_id)
        if task is None or task.environment_id != current_actor().environment_id:
            return exc
        return Conflict(f"task {task_id} was changed by someone else ({task.status})", code="task_not_open",
                        details=[{"status": task.status, "completed_by": task.completed_by,
                                  "assignee": task.assignee}])


@bp.post("/<int:task_id>/claim")
@requires("tasks.act")
def claim(task_id: int) -> Response:
    return _act(task_id, tasks.claim)


@bp.post("/<int:task_id>/unclaim")
@requires("tasks.act")
def unclaim(task_id: int) -> Response:
    return _act(task_id, tasks.unclaim)


@bp.post("/<int:task_id>/complete")
@requires("tasks.act")
def complete(task_id: int) -> Response:
    """Complete with `{"data": {...}}`, checked against the task's form (422 names bad fields)."""
    data = _data(_body())
    return _act(task_id, lambda session, **kw: tasks.complete(session, host(), data=data, **kw))


@bp.post("/<int:task_id>/approve")
@requires("tasks.act")
def approve(task_id: int) -> Response:
    body = _body()
    data = _data(body)
    return _act(task_id, lambda session, **kw: tasks.approve(session, host(), comment=body.get("comment"),
                                                             data=data, **kw))


@bp.post("/<int:task_id>/disapprove")
@requires("tasks.act")
def disapprove(task_id: int) -> Response:
    """Disapprove with `{"reason": "..."}` (required)."""
    body = _body()
    data = _data(body)
    return _act(task_id, lambda session, **kw: tasks.disapprove(session, host(), reason=body.get("reason"),
                                                                data=data, **kw))


@bp.post("/<int:task_id>/comment")
@requires("tasks.act")
def comment(task_id: int) -> Response:
    """Add `{"text": "..."}` to the task without completing it."""
    body = _body()
    return _act(task_id, tasks.comment, text=body.get("text"))


@bp.post("/<int:task_id>/delegate")
@requires("tasks.act")
def delegate(task_id: int) -> Response:
    """Delegate to `{"to": "login"}`, or `{"to": "login", "environment": "partner"}`."""
    body = _body()
    environment = body.get("environment")
    if environment is not None and not isinstance(environment, str):
        raise InvalidInput("environment must be a name", code="invalid_delegate",
                           details=[{"field": "environment", "message": "must be a name"}])
    return _act(task_id, tasks.delegate, to=body.get("to"), environment=environment)
