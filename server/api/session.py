"""/api/v1/session: JSON login and logout for scripts and the single-page parts of the web UI."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request, session
from flask_login import login_user

from server.api.auth import current_actor
from server.auth import login as logins
from server.auth import service as auth
from server.auth.directory import view
from server.auth.models import User
from server.errors import InvalidInput, TooManyRequests, Unauthorized
from server.web import SessionUser, end_user_sessions, host

bp = Blueprint("api_session", __name__, url_prefix="/api/v1/session")
FAILED_LOGIN = "unknown login or wrong password, or the account is locked for a while after too many failures"


def _credentials() -> tuple[str, str, str]:
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object with login and password", code="invalid_json")
    fields = {k: body.get(k) for k in ("login", "password")}
    bad = [{"field": k, "message": "is required"} for k, v in fields.items() if not isinstance(v, str) or not v]
    environment = body.get("environment", auth.DEFAULT_ENVIRONMENT)
    if not isinstance(environment, str) or not environment:
        bad.append({"field": "environment", "message": "must be an environment name"})
    if bad:
        raise InvalidInput("login and password are required", code="invalid_credentials_input", details=bad)
    return environment, str(fields["login"])[:100], str(fields["password"])[:1000]


@bp.post("")
def log_in() -> Response:
    """Check the password (5 failures lock the account for 15 minutes) and start a session."""
    environment, login, password = _credentials()
    throttle, address = host().login_throttle, request.remote_addr or "unknown"
    wait = throttle.retry_after(address)
    if wait is not None:
        raise TooManyRequests(f"too many failed logins from this address; try again in {wait} s",
                              code="too_many_logins", details=[{"retry_after": wait}])
    with host().db.unit_of_work() as db:
        result = logins.attempt(db, environment=environment, login=login, password=password)
        user = result.user
        payload = None
        if user is not None:
            actor = auth.actor_for(db, user)
            payload = view(db, user)
            epoch = user.session_epoch
    if user is None:
        throttle.failed(address)
        # The same answer for an unknown login, a wrong password and a locked account (lockout holds).
        raise Unauthorized(FAILED_LOGIN, code="invalid_credentials")
    session.clear()
    login_user(SessionUser(user.id, epoch, actor))
    return jsonify({"user": _user_json(payload), "environment": environment})


@bp.get("")
def who_am_i() -> Response:
    """The caller: login, roles, groups and environment."""
    actor = current_actor()
    with host().db.unit_of_work() as db:
        user = db.get(User, actor.user_id) if actor.user_id else None
        payload = view(db, user) if user else None
    return jsonify({"user": _user_json(payload) if payload else {"login": actor.name},
                    "kind": actor.kind, "roles": sorted(actor.roles), "groups": sorted(actor.groups)})


@bp.delete("")
def log_out() -> tuple[str, int]:
    """End the session and every other session of the same user (idempotent)."""
    end_user_sessions()
    return "", 204


def _user_json(payload: Any) -> dict[str, Any]:
    return {"id": payload.id, "login": payload.login, "display_name": payload.display_name,
            "email": payload.email, "language": payload.language, "roles": payload.roles,
            "groups": payload.groups}
