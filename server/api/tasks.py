"""/api/v1/tasks: the task list, one task with its form and invoice, and the task verbs (server.operations.tasks)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

from server.api.auth import current_actor, host, requires
from server.api.paging import Paging, next_offset, paging
from server.auth.actor import Actor
from server.errors import Conflict, InvalidInput, NotFound
from server.operations import tasks as ops
from server.tasks import listing

bp = Blueprint("api_tasks", __name__, url_prefix="/api/v1/tasks")
TRUE = ("true", "1", "yes")
EDGE = "api"


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
        found = ops.list_tasks(session, actor=current_actor(), query=query)
    shown = len(found.tasks)
    more = shown == found.per_page and (not found.total_exact or (query.offset or 0) + shown < found.total)
    cursor = next_offset(paging(maximum=listing.MAX_PER_PAGE), returned=shown, more=more)
    return jsonify({**found.to_json(), "next_cursor": cursor})


@bp.get("/<int:task_id>")
@requires("tasks.read")
def show(task_id: int) -> Response:
    """The task, its form schema, the data the form shows, the invoice, its review and the task's history."""
    with host().db.unit_of_work() as session:
        return jsonify(ops.show(session, host(), actor=current_actor(), task_id=task_id).to_json())


def _act(task_id: int, action: Callable[[Session, Actor], ops.TaskView]) -> Response:
    """Run one task verb in its own unit of work; a lost race answers 409 naming who won."""
    try:
        with host().db.unit_of_work() as session:
            payload = action(session, current_actor()).to_json()
    except Conflict as exc:
        if exc.code != "concurrent_update":
            raise
        raise _who_won(task_id, exc) from None
    return jsonify(payload)


def _who_won(task_id: int, exc: Conflict) -> Conflict:
    try:
        with host().db.unit_of_work() as session:
            task = ops.show(session, host(), actor=current_actor(), task_id=task_id).task
    except NotFound:
        return exc
    return Conflict(f"task {task_id} was changed by someone else ({task.status})", code="task_not_open",
                    details=[{"status": task.status, "completed_by": task.completed_by, "assignee": task.assignee}])


@bp.post("/<int:task_id>/claim")
@requires("tasks.act")
def claim(task_id: int) -> Response:
    return _act(task_id, lambda s, who: ops.claim(s, actor=who, task_id=task_id, edge=EDGE))


@bp.post("/<int:task_id>/unclaim")
@requires("tasks.act")
def unclaim(task_id: int) -> Response:
    return _act(task_id, lambda s, who: ops.unclaim(s, actor=who, task_id=task_id, edge=EDGE))


@bp.post("/<int:task_id>/complete")
@requires("tasks.act")
def complete(task_id: int) -> Response:
    """Complete with `{"data": {...}}`, checked against the task's form (422 names bad fields)."""
    data = _data(_body())
    return _act(task_id, lambda s, who: ops.complete(s, host(), actor=who, task_id=task_id, data=data, edge=EDGE))


@bp.post("/<int:task_id>/resolve")
@requires("tasks.act")
def resolve(task_id: int) -> Response:
    """The delegate hands the task back to its owner with `{"data": {...}}` (409 while suspended)."""
    data = _data(_body())
    return _act(task_id, lambda s, who: ops.resolve(s, host(), actor=who, task_id=task_id, data=data, edge=EDGE))


@bp.post("/<int:task_id>/approve")
@requires("tasks.act")
def approve(task_id: int) -> Response:
    body = _body()
    data = _data(body)
    return _act(task_id, lambda s, who: ops.approve(s, host(), actor=who, task_id=task_id,
                                                    comment=body.get("comment"), data=data, edge=EDGE))


@bp.post("/<int:task_id>/disapprove")
@requires("tasks.act")
def disapprove(task_id: int) -> Response:
    """Disapprove with `{"reason": "..."}` (required; the supplier reads it)."""
    body = _body()
    data = _data(body)
    return _act(task_id, lambda s, who: ops.disapprove(s, host(), actor=who, task_id=task_id,
                                                       reason=body.get("reason"), data=data, edge=EDGE))


@bp.post("/<int:task_id>/comment")
@requires("tasks.act")
def comment(task_id: int) -> Response:
    """Add `{"text": "..."}` to the task without completing it."""
    text = _body().get("text")
    return _act(task_id, lambda s, who: ops.comment(s, actor=who, task_id=task_id, text=text, edge=EDGE))


@bp.post("/<int:task_id>/delegate")
@requires("tasks.act")
def delegate(task_id: int) -> Response:
    """Delegate to `{"to": "login"}`, or `{"to": "login", "environment": "partner"}`."""
    body = _body()
    environment = body.get("environment")
    if environment is not None and not isinstance(environment, str):
        raise InvalidInput("environment must be a name", code="invalid_delegate",
                           details=[{"field": "environment", "message": "must be a name"}])
    return _act(task_id, lambda s, who: ops.delegate(s, actor=who, task_id=task_id, to=body.get("to"),
                                                     environment=environment, edge=EDGE))


@bp.post("/<int:task_id>/reassign")
@requires("instances.admin")
def reassign(task_id: int) -> Response:
    """Give the task to `{"assignee": "login"}` or `{"users"|"groups"|"roles": [...]}` with a `reason`."""
    body = _body()
    return _act(task_id, lambda s, who: ops.reassign(
        s, host(), actor=who, task_id=task_id, reason=_text(body, "reason"), assignee=_text(body, "assignee"),
        users=_names(body, "users"), groups=_names(body, "groups"), roles=_names(body, "roles"), edge=EDGE))


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be text", code="invalid_input", details=[{"field": name}])
    return value or None


def _names(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{name} must be a list of names", code="invalid_input", details=[{"field": name}])
    return [v.strip() for v in value if v.strip()]
