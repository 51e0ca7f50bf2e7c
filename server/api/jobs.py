"""/api/v1/jobs/ID/fire and /api/v1/jobs/ID/due: run a pending job (a timer, a reminder) now or later."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify

from server.api.auth import current_actor, host, requires
from server.api.instances import body, optional_text
from server.operations import jobs as operations

bp = Blueprint("api_jobs", __name__, url_prefix="/api/v1/jobs")


@bp.post("/<int:job_id>/fire")
@requires("instances.admin")
def fire(job_id: int) -> Response:
    reason = optional_text(body(), "reason")
    with host().db.unit_of_work() as session:
        return jsonify(operations.fire(session, actor=current_actor(), job_id=job_id, reason=reason).to_json())


@bp.put("/<int:job_id>/due")
@requires("instances.admin")
def set_due(job_id: int) -> Response:
    data = body()
    reason = optional_text(data, "reason")
    with host().db.unit_of_work() as session:
        return jsonify(operations.set_due(session, actor=current_actor(), job_id=job_id, due_at=data.get("due_at"),
                                          reason=reason).to_json())
