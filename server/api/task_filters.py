"""/api/v1/task-filters: the caller's saved task list filters and those shared with their groups
(server.operations.task_filters, as the task list page)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.api.auth import current_actor, host, requires
from server.api.paging import paging, slice_of
from server.errors import InvalidInput
from server.operations import task_filters as ops

bp = Blueprint("api_task_filters", __name__, url_prefix="/api/v1/task-filters")
EDGE = "api"


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object", code="invalid_json")
    return body


@bp.get("")
@requires("tasks.read")
def list_filters() -> Response:
    """The caller's own filters first, then shared ones, each with its count of matching tasks."""
    page = paging()
    with host().db.unit_of_work() as session:
        found = ops.list_filters(session, actor=current_actor())
    items, cursor = slice_of(found, page)
    return jsonify({"items": [f.to_json() for f in items], "next_cursor": cursor})


@bp.post("")
@requires("filters.own")
def save_filter() -> tuple[Response, int]:
    body = _body()
    filters = body.get("filters", {})
    if not isinstance(filters, dict):
        raise InvalidInput("filters must be a JSON object", code="invalid_filter",
                           details=[{"field": "filters", "message": "must be an object"}])
    with host().db.unit_of_work() as session:
        saved = ops.save_filter(session, actor=current_actor(), name=body.get("name"), filters=filters,
                                group=body.get("group"), edge=EDGE)
    return jsonify(saved.to_json()), 201


@bp.patch("/<int:filter_id>")
@requires("filters.own")
def rename_filter(filter_id: int) -> Response:
    with host().db.unit_of_work() as session:
        renamed = ops.rename_filter(session, actor=current_actor(), filter_id=filter_id, name=_body().get("name"),
                                    edge=EDGE)
    return jsonify(renamed.to_json())


@bp.delete("/<int:filter_id>")
@requires("filters.own")
def delete_filter(filter_id: int) -> tuple[str, int]:
    with host().db.unit_of_work() as session:
        ops.delete_filter(session, actor=current_actor(), filter_id=filter_id, edge=EDGE)
    return "", 204
