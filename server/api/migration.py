"""/api/v1/migration: move running instances to another version of their model (Camunda 7's vocabulary)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from server.api.auth import current_actor, host, requires
from server.api.instances import body, optional_text
from server.operations import migration as operations

bp = Blueprint("api_migration", __name__, url_prefix="/api/v1/migration")


@bp.post("/generate")
@requires("instances.admin")
def generate() -> Response:
    request = operations.request_from_json(body())
    with host().db.unit_of_work() as session:
        return jsonify(operations.generate_plan(session, host(), actor=current_actor(), request=request).to_json())


@bp.post("/validate")
@requires("instances.admin")
def validate() -> Response:
    data = body()
    request, selection = operations.request_from_json(data), operations.selection_from_json(data)
    with host().db.unit_of_work() as session:
        report = operations.validate_migration(session, host(), actor=current_actor(), request=request,
                                               selection=selection)
    return jsonify(report.to_json())


@bp.post("/execute")
@requires("instances.admin")
def execute() -> Response:
    data = body()
    request, selection = operations.request_from_json(data), operations.selection_from_json(data)
    report = operations.execute_migration(host(), actor=current_actor(), request=request, selection=selection,
                                          edge="api", reason=optional_text(data, "reason"))
    return jsonify(report.to_json())
