"""/api/v1/users and /api/v1/groups: the people of the caller's environment."""
from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.api.auth import current_actor, host, requires
from server.api.paging import paging, slice_of
from server.auth import directory
from server.auth import service as auth
from server.errors import InvalidInput

bp = Blueprint("api_users", __name__, url_prefix="/api/v1")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object", code="invalid_json")
    return body


@bp.get("/users")
@requires("users.read")
def list_users() -> Response:
    actor, page = current_actor(), paging()
    with host().db.unit_of_work() as session:
        users = [dataclasses.asdict(u) for u in directory.list_users(session, actor.environment_id)]
    users, cursor = slice_of(users, page)
    return jsonify({"users": users, "next_cursor": cursor})


@bp.post("/users")
@requires("users.manage")
def create_user() -> tuple[Response, int]:
    """Create `{"login", "password"?, "roles"?, "groups"?, "display_name"?, "email"?, "language"?}`."""
    body, actor = _body(), current_actor()
    login = body.get("login")
    if not isinstance(login, str):
        raise InvalidInput("login is required", code="invalid_login", details=[{"field": "login",
                                                                              "message": "is required"}])
    password = body.get("password")  # checked by create_user, as for the page and the CLI
    roles = directory._names(body.get("roles", ["user"]), "roles")
    groups = directory._names(body.get("groups", []), "groups")
    with host().db.unit_of_work() as session:
        user = auth.create_user(session, actor.environment_id, login, actor=actor, password=password,
                                roles=roles, groups=groups, display_name=str(body.get("display_name") or ""),
                                email=str(body.get("email") or ""), language=str(body.get("language") or "en"))
        payload = dataclasses.asdict(directory.view(session, user))
    return jsonify(payload), 201


@bp.get("/users/<login>")
@requires("users.read")
def show_user(login: str) -> Response:
    actor = current_actor()
    with host().db.unit_of_work() as session:
        payload = dataclasses.asdict(directory.view(session, directory.get_user(session, actor.environment_id, login)))
    return jsonify(payload)


@bp.patch("/users/<login>")
@requires("users.manage")
def update_user(login: str) -> Response:
    """Change display_name, email, language, active, password, roles or groups."""
    body, actor = _body(), current_actor()
    with host().db.unit_of_work() as session:
        user = directory.update_user(session, actor.environment_id, login, actor=actor, changes=body)
        payload = dataclasses.asdict(directory.view(session, user))
    return jsonify(payload)


@bp.get("/groups")
@requires("users.read")
def list_groups() -> Response:
    actor, page = current_actor(), paging()
    with host().db.unit_of_work() as session:
        groups = [{"name": g.name, "display_name": g.display_name, "members": members}
                  for g, members in directory.list_groups(session, actor.environment_id)]
    groups, cursor = slice_of(groups, page)
    return jsonify({"groups": groups, "next_cursor": cursor})


@bp.post("/groups")
@requires("users.manage")
def create_group() -> tuple[Response, int]:
    body, actor = _body(), current_actor()
    with host().db.unit_of_work() as session:
        group = directory.create_group(session, actor.environment_id, body.get("name") or "", actor=actor,
                                       display_name=str(body.get("display_name") or ""))
        payload = {"name": group.name, "display_name": group.display_name, "members": []}
    return jsonify(payload), 201


@bp.post("/groups/<name>/members")
@requires("users.manage")
def add_member(name: str) -> Response:
    """Add `{"login": "..."}` to the group."""
    body, actor = _body(), current_actor()
    login = body.get("login")
    if not isinstance(login, str) or not login:
        raise InvalidInput("login is required", code="invalid_login",
                           details=[{"field": "login", "message": "is required"}])
    with host().db.unit_of_work() as session:
        directory.add_member(session, actor.environment_id, name, login, actor=actor)
    return jsonify({"group": name, "login": login})


@bp.delete("/groups/<name>/members/<login>")
@requires("users.manage")
def remove_member(name: str, login: str) -> tuple[str, int]:
    actor = current_actor()
    with host().db.unit_of_work() as session:
        directory.remove_member(session, actor.environment_id, name, login, actor=actor)
    return "", 204
