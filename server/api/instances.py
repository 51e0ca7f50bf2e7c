"""/api/v1/process-instances: list, view on the diagram, history, and the administrative interventions."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

from server.api.auth import current_actor, host, requires
from server.api.paging import encode, paging, slice_of
from server.auth.actor import Actor
from server.errors import InvalidInput
from server.instances import view as views
from server.operations import instances as operations
from server.operations import jobs as job_ops
from server.operations import repair
from server.operations import tasks as task_ops
from server.operations.incidents import checked_cause
from server.web import in_reader_language

bp = Blueprint("api_instances", __name__, url_prefix="/api/v1/process-instances")


def parse_time(name: str) -> dt.datetime | None:
    """An ISO 8601 query parameter as an aware datetime (UTC when no zone is given)."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        value = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 date or time", code="invalid_query",
                           details=[{"field": name}]) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def parse_int(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit():
        raise InvalidInput(f"{name} must be a positive integer", code="invalid_query", details=[{"field": name}])
    return int(raw)


def body() -> dict[str, Any]:
    """The JSON object of the request (an empty object when there is no body)."""
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", code="invalid_json")
    return data


def text_field(data: dict[str, Any], name: str, *, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} is required", code="invalid_input", details=[{"field": name}])
    return value.strip()


def _names(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InvalidInput(f"{name} must be a list of names", code="invalid_input", details=[{"field": name}])
    return [v.strip() for v in value]


@bp.get("")
@requires("instances.read")
def list_instances() -> Response:
    filters = views.InstanceFilter(status=request.args.get("status") or None,
                                   model_key=request.args.get("model") or None,
                                   business_key=request.args.get("business_key") or None,
                                   started_after=parse_time("started_after"),
                                   started_before=parse_time("started_before"),
                                   cause=checked_cause(request.args["cause"]) if request.args.get("cause") else None)
    page = paging()
    with host().db.unit_of_work() as session:
        rows, last = views.list_instances(session, current_actor().environment_id, filters,
                                          after_id=page.position(), limit=page.limit)
    return jsonify({"items": rows, "next_cursor": None if last is None else encode(last)})


@bp.get("/<int:instance_id>")
@requires("instances.read")
def show(instance_id: int) -> Response:
    with host().db.unit_of_work() as session:
        view = views.instance_view(session, host(), actor=current_actor(), instance_id=instance_id)
    return jsonify({**view, "incidents": [in_reader_language(i) for i in view["incidents"]]})


@bp.get("/<int:instance_id>/diagram")
@requires("instances.read")
def diagram(instance_id: int) -> Response:
    with host().db.unit_of_work() as session:
        xml = views.diagram(session, actor=current_actor(), instance_id=instance_id)
    return Response(xml, content_type="application/xml; charset=utf-8")


@bp.get("/<int:instance_id>/history")
@requires("instances.read")
def history(instance_id: int) -> Response:
    page = paging(maximum=1000)
    with host().db.unit_of_work() as session:
        items = views.history(session, actor=current_actor(), instance_id=instance_id)
    items, cursor = slice_of(items, page)
    return jsonify({"items": items, "next_cursor": cursor})


@bp.post("/<int:instance_id>/suspend")
@requires("instances.admin")
def suspend(instance_id: int) -> Response:
    return _answer(lambda session, actor: operations.suspend(session, host(), actor=actor, instance_id=instance_id,
                                                             reason=_text(body(), "reason")))


@bp.post("/<int:instance_id>/resume")
@requires("instances.admin")
def resume(instance_id: int) -> Response:
    return _answer(lambda session, actor: operations.resume(session, host(), actor=actor, instance_id=instance_id,
                                                            reason=_text(body(), "reason")))


@bp.post("/<int:instance_id>/terminate")
@requires("instances.admin")
def terminate(instance_id: int) -> Response:
    return _answer(lambda session, actor: operations.terminate(session, host(), actor=actor,
                                                               instance_id=instance_id, reason=_text(body(), "reason")))


@bp.post("/<int:instance_id>/retry")
@requires("instances.admin")
def retry(instance_id: int) -> Response:
    data = body()
    incident = data.get("incident_id")
    if incident is not None and not isinstance(incident, int):
        raise InvalidInput("incident_id must be an integer", code="invalid_input", details=[{"field": "incident_id"}])
    return _answer(lambda session, actor: operations.retry(session, host(), actor=actor, instance_id=instance_id,
                                                           reason=_text(data, "reason"), incident_id=incident))


@bp.post("/<int:instance_id>/move")
@requires("instances.admin")
def move(instance_id: int) -> Response:
    data = body()
    return _answer(lambda session, actor: operations.move(
        session, host(), actor=actor, instance_id=instance_id, reason=_text(data, "reason"),
        to_element=_text(data, "to"), from_element=_text(data, "from")))


@bp.post("/<int:instance_id>/restart-step")
@requires("instances.admin")
def restart_step(instance_id: int) -> Response:
    data = body()
    return _answer(lambda session, actor: operations.restart_step(
        session, host(), actor=actor, instance_id=instance_id, reason=_text(data, "reason"),
        element_id=_text(data, "element_id")))


@bp.post("/<int:instance_id>/restart")
@requires("instances.admin")
def restart(instance_id: int) -> Response:
    data = body()
    return _answer(lambda session, actor: operations.restart(
        session, host(), actor=actor, instance_id=instance_id, reason=_text(data, "reason"),
        element_id=_text(data, "element_id")))


@bp.put("/<int:instance_id>/variables")
@requires("instances.admin")
def set_variables(instance_id: int) -> Response:
    data = body()
    if "variables" not in data:
        raise InvalidInput("send the new variables as a JSON object in `variables`", code="invalid_variables",
                           details=[{"field": "variables", "problem": "required"}])
    return _answer(lambda session, actor: repair.set_variables(
        session, host(), actor=actor, instance_id=instance_id, variables=data["variables"],
        reason=_text(data, "reason")))


@bp.get("/<int:instance_id>/jobs")
@requires("instances.read")
def jobs(instance_id: int) -> Response:
    with host().db.unit_of_work() as session:
        rows = job_ops.instance_jobs(session, actor=current_actor(), instance_id=instance_id)
    return jsonify({"items": [row.to_json() for row in rows]})


def optional_text(data: dict[str, Any], name: str) -> str | None:
    """A string field of the body (None when absent); 422 naming it when it is not a string."""
    return _text(data, name)


def _text(data: dict[str, Any], name: str) -> str | None:
    """A string field of the body (None when absent); the operation says what is missing."""
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string", code="invalid_input", details=[{"field": name}])
    return value


def _answer(call: Callable[[Session, Actor], operations.InstanceView]) -> Response:
    """Run one operation in one unit of work and answer its view."""
    with host().db.unit_of_work() as session:
        return jsonify(call(session, current_actor()).to_json())


@bp.post("/<int:instance_id>/tasks/<int:task_id>/reassign")
@requires("instances.admin")
def reassign(instance_id: int, task_id: int) -> Response:
    data = body()
    with host().db.unit_of_work() as session:
        task_ops.reassign(session, host(), actor=current_actor(), task_id=task_id, instance_id=instance_id,
                          reason=text_field(data, "reason") or "", assignee=text_field(data, "assignee", required=False),
                          users=_names(data, "users"), groups=_names(data, "groups"), roles=_names(data, "roles"),
                          edge="api")
    with host().db.unit_of_work() as session:
        return jsonify(views.instance_view(session, host(), actor=current_actor(), instance_id=instance_id))
