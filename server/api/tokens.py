"""/api/v1/tokens: bearer tokens for systems. The text is shown once, at creation; only a hash is kept."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from server.api.auth import current_actor, host, requires
from server.api.paging import paging, slice_of
from server.auth import directory, tokens
from server.auth.models import ApiToken, User
from server.auth.permissions import allowed
from server.errors import Forbidden, InvalidInput, NotFound

bp = Blueprint("api_tokens", __name__, url_prefix="/api/v1/tokens")


def _token_json(token: ApiToken, login: str) -> dict[str, Any]:
    return {"id": token.id, "name": token.name, "login": login, "created_at": token.created_at.isoformat(),
            "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None}


@bp.get("")
@requires("tokens.own")
def list_tokens() -> Response:
    """The caller's tokens; an admin sees every token of the environment."""
    actor, page = current_actor(), paging()
    with host().db.unit_of_work() as session:
        user_id = None if allowed(actor, "users.manage") else (actor.user_id or -1)
        rows = [_token_json(t, login) for t, login in tokens.list_tokens(session, actor.environment_id,
                                                                          user_id=user_id)]
    rows, cursor = slice_of(rows, page)
    return jsonify({"tokens": rows, "next_cursor": cursor})


@bp.post("")
@requires("tokens.own")
def create_token() -> tuple[Response, int]:
    """`{"name": "...", "login": "..."?}`: a token for the caller (an admin may name another user)."""
    body: Any = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise InvalidInput("send a JSON object", code="invalid_json")
    name = body.get("name") or ""
    if not isinstance(name, str) or len(name) > 100:
        raise InvalidInput("name must be text", code="invalid_token_name",
                           details=[{"field": "name", "message": "text of at most 100 characters"}])
    actor = current_actor()
    with host().db.unit_of_work() as session:
        login = body.get("login")
        if login and login != actor.name:
            if not allowed(actor, "users.manage"):
                raise Forbidden("only an admin creates tokens for other users", code="forbidden")
            user = directory.get_user(session, actor.environment_id, str(login))
        else:
            own = session.get(User, actor.user_id) if actor.user_id else None
            if own is None:
                raise Forbidden("this caller has no user to own a token", code="forbidden")
            user = own
        token, plain = tokens.create_token(session, user, actor=actor, name=name)
        payload = {**_token_json(token, user.login), "token": plain}
    return jsonify(payload), 201


@bp.delete("/<int:token_id>")
@requires("tokens.own")
def revoke(token_id: int) -> tuple[str, int]:
    """Revoke one of your tokens (an admin: any token of the environment)."""
    actor = current_actor()
    with host().db.unit_of_work() as session:
        owner = tokens.owner_of(session, token_id, actor.environment_id)
        if owner.id != actor.user_id and not allowed(actor, "users.manage"):
            raise NotFound(f"token {token_id} not found", code="token_not_found")
        tokens.revoke_token(session, token_id, actor=actor)
    return "", 204
