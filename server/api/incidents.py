"""/api/v1/incidents: failed steps with their plain cause, counts by cause, and retrying one or all of a cause."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext

from server.api.auth import current_actor, host, requires
from server.api.instances import body, optional_text, parse_int
from server.api.paging import encode, paging
from server.errors import InvalidInput
from server.instances import admin
from server.instances import view as views
from server.operations import incidents as incident_ops
from server.operations import instances as operations
from server.web import in_reader_language

bp = Blueprint("api_incidents", __name__, url_prefix="/api/v1/incidents")
STATUSES = ("open", "resolved", "retried", "closed", "all")


@bp.get("")
@requires("instances.read")
def list_incidents() -> Response:
    status = request.args.get("status", "open")
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", code="invalid_query")
    cause = request.args.get("cause") or None
    page = paging(default=100, maximum=500)
    with host().db.unit_of_work() as session:
        items = views.list_incidents(session, current_actor().environment_id,
                                     status=None if status == "all" else status,
                                     instance_id=parse_int("instance"), limit=page.limit + 1,
                                     before_id=page.position(), with_stack=views.shows_stacks(current_actor()),
                                     cause=incident_ops.checked_cause(cause) if cause else None)
    more = len(items) > page.limit
    items = items[:page.limit]
    return jsonify({"items": [in_reader_language(i) for i in items],
                    "next_cursor": encode(items[-1]["id"]) if more else None})


@bp.get("/causes")
@requires("instances.read")
def causes() -> Response:
    """Open incidents counted by cause, with the model and element where they happen."""
    with host().db.unit_of_work() as session:
        counts = incident_ops.cause_counts(session, actor=current_actor())
        return jsonify({"items": [c.to_json(translate=gettext) for c in counts]})


@bp.post("/retry")
@requires("instances.admin")
def retry_all() -> Response:
    """Retry every open incident of one cause (one transaction per instance)."""
    data = body()
    return jsonify(incident_ops.retry_all(host(), actor=current_actor(), cause=data.get("cause"),
                                          reason=optional_text(data, "reason")).to_json())


@bp.get("/<int:incident_id>")
@requires("instances.read")
def show(incident_id: int) -> Response:
    with host().db.unit_of_work() as session:
        return jsonify(in_reader_language(views.incident_json(admin.get_incident(session, current_actor(),
                                                                                 incident_id),
                                                              with_stack=views.shows_stacks(current_actor()))))


@bp.post("/<int:incident_id>/retry")
@requires("instances.admin")
def retry(incident_id: int) -> Response:
    reason = optional_text(body(), "reason")
    with host().db.unit_of_work() as session:
        answer = operations.retry_incident(session, host(), actor=current_actor(), incident_id=incident_id,
                                           reason=reason).to_json()
    return jsonify(in_reader_language(answer))
