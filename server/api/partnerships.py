"""/api/v1/environment and /api/v1/partnerships: the caller's tenant and the tenants it works with;
/api/v1/environments: every tenant, for operators only (an environment's admin sees just their own)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import func, select

from server.api.auth import current_actor, host, requires
from server.api.paging import paging, slice_of
from server.auth import partnerships
from server.auth import service as auth
from server.auth.models import Environment, Partnership, User
from server.errors import InvalidInput
from server.sandbox import policy

bp = Blueprint("api_partnerships", __name__, url_prefix="/api/v1")


def _json(found: Partnership, partner: str, environment_id: int) -> dict[str, Any]:
    return {"id": found.id, "partner": partner, "status": found.status,
            "direction": "outgoing" if found.environment_id == environment_id else "incoming",
            "requested_by": found.requested_by, "created_at": found.created_at.isoformat(),
            "accepted_at": found.accepted_at.isoformat() if found.accepted_at else None}


@bp.get("/environment")
@requires("tasks.read")
def environment() -> Response:
    """The caller's environment and the names of its active partners."""
    actor = current_actor()
    with host().db.unit_of_work() as session:
        env = session.get(Environment, actor.environment_id)
        partners = [name for p, name in partnerships.list_for(session, actor.environment_id) if p.status == "active"]
        payload = {"name": env.name if env else None, "display_name": env.display_name if env else None,
                   "partners": partners}
    return jsonify(payload)


@bp.get("/environment/settings")
@requires("settings.read")
def environment_settings() -> Response:
    """The caller's environment settings (python_scripts: whether Python scripts may run)."""
    actor = current_actor()
    with host().db.unit_of_work() as session:
        payload = policy.get_settings(session, actor=actor, environment_id=actor.environment_id).as_dict()
    return jsonify(payload)


@bp.put("/environment/settings")
@requires("settings.manage")
def change_environment_settings() -> Response:
    """Change `{"python_scripts": true|false}` for the caller's environment (admins; audited)."""
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object of settings", code="invalid_setting",
                           details=[{"field": "python_scripts", "message": "is required"}])
    actor = current_actor()
    with host().db.unit_of_work() as session:
        payload = policy.change_settings(session, actor=actor, environment_id=actor.environment_id,
                                         changes=body).as_dict()
    return jsonify(payload)
@bp.get("/environments")
@requires("environments.read")
def list_environments() -> Response:
    """Every environment with its number of users (operators only)."""
    page = paging()
    with host().db.unit_of_work() as session:
        rows = session.execute(select(Environment, func.count(User.id))
                               .outerjoin(User, User.environment_id == Environment.id)
                               .group_by(Environment.id).order_by(Environment.name)).all()
        payload = [_environment_json(env, users) for env, users in rows]
    payload, cursor = slice_of(payload, page)
    return jsonify({"environments": payload, "next_cursor": cursor})


@bp.post("/environments")
@requires("environments.manage")
def create_environment() -> tuple[Response, int]:
    """Create `{"name", "display_name"?}` (operators only); 409 if the name is taken."""
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("name"), str):
        raise InvalidInput("name the environment", code="invalid_environment",
                           details=[{"field": "name", "message": "is required"}])
    display_name = body.get("display_name") or ""
    if not isinstance(display_name, str):
        raise InvalidInput("display_name must be text", code="invalid_environment",
                           details=[{"field": "display_name", "message": "must be text"}])
    with host().db.unit_of_work() as session:
        env = auth.create_environment(session, body["name"], actor=current_actor(), display_name=display_name)
        payload = _environment_json(env, 0)
    return jsonify(payload), 201


def _environment_json(env: Environment, users: int) -> dict[str, Any]:
    return {"id": env.id, "name": env.name, "display_name": env.display_name, "users": users,
            "created_at": env.created_at.isoformat()}


@bp.get("/partnerships")
@requires("partnerships.read")
def list_partnerships() -> Response:
    actor, page = current_actor(), paging()
    with host().db.unit_of_work() as session:
        rows = [_json(p, name, actor.environment_id) for p, name in partnerships.list_for(session, actor.environment_id)]
    rows, cursor = slice_of(rows, page)
    return jsonify({"partnerships": rows, "next_cursor": cursor})


@bp.post("/partnerships")
@requires("partnerships.manage")
def request_partnership() -> tuple[Response, int]:
    """Ask `{"partner": "environment"}` for a partnership; pending until their admin accepts."""
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("partner"), str):
        raise InvalidInput("name the partner environment", code="invalid_partnership",
                           details=[{"field": "partner", "message": "is required"}])
    actor = current_actor()
    with host().db.unit_of_work() as session:
        found = partnerships.request(session, actor=actor, partner=body["partner"])
        payload = _json(found, body["partner"], actor.environment_id)
    return jsonify(payload), 201


@bp.post("/partnerships/<int:partnership_id>/accept")
@requires("partnerships.manage")
def accept(partnership_id: int) -> Response:
    actor = current_actor()
    with host().db.unit_of_work() as session:
        found = partnerships.accept(session, actor=actor, partnership_id=partnership_id)
        other = session.get(Environment, found.environment_id)
        payload = _json(found, other.name if other else "", actor.environment_id)
    return jsonify(payload)


@bp.delete("/partnerships/<int:partnership_id>")
@requires("partnerships.manage")
def end(partnership_id: int) -> tuple[str, int]:
    actor = current_actor()
    with host().db.unit_of_work() as session:
        partnerships.end(session, actor=actor, partnership_id=partnership_id)
    return "", 204
