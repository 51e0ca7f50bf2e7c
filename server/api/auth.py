"""Who is calling: a bearer token (systems) or the flask-login session (browsers)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.auth.models import User
from server.auth.permissions import require
from server.errors import Forbidden, Unauthorized
from server.web import SessionUser, host, parse_session_id

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def init_login(app: Flask) -> None:
    manager = LoginManager()
    manager.login_view = "pages.login"

    @manager.user_loader
    def load_user(session_id: str) -> SessionUser | None:
        """Every request on a session cookie: the user must be active and the epoch still theirs."""
        parsed = parse_session_id(session_id)
        if parsed is None:
            return None
        with host().db.reading() as session:
            user = session.get(User, parsed[0])
            if user is None or not user.active or user.session_epoch != parsed[1]:
                return None
            return SessionUser(user.id, user.session_epoch, auth.actor_for(session, user))

    manager.init_app(app)


def current_actor() -> Actor:
    """The caller as an Actor; Unauthorized when neither a valid token nor a session is present."""
    if "actor" in g:
        return g.actor
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, plain = header.partition(" ")
        if scheme.lower() != "bearer" or not plain:
            raise Unauthorized("use 'Authorization: Bearer <token>'", code="bad_authorization")
        with host().db.reading() as session:
            actor = tokens.actor_for_token(session, plain.strip())
        if actor is None:
            raise Unauthorized("the token is unknown or revoked", code="invalid_token")
        g.actor = actor
        return g.actor
    if current_user.is_authenticated:
        check_csrf_header()
        g.actor = current_user.actor
        return g.actor
    raise Unauthorized("log in or send a bearer token", code="unauthenticated")


def check_csrf_header() -> None:
    """JSON calls on a session cookie must prove they come from our own pages.

    Browsers never let another site add a custom header to a cross-site request without a CORS
    preflight (which we do not grant), so a state-changing call authenticated by the cookie needs
    `X-Requested-With` or a valid `X-CSRF-Token` (Flask-WTF's token). Bearer calls carry no cookie.
    """
    if request.method in SAFE_METHODS or request.headers.get("X-Requested-With"):
        return
    token = request.headers.get("X-CSRF-Token")
    if token:
        try:
            validate_csrf(token)
            return
        except ValidationError:
            raise Forbidden("the X-CSRF-Token header is not valid for this session", code="csrf_invalid") from None
    raise Forbidden("state-changing calls with a session cookie need an X-Requested-With or X-CSRF-Token header",
                    code="csrf_required")


def requires(permission: str) -> Callable[[F], F]:
    """Decorator for views: authenticate, then check one permission from auth.permissions."""
    def wrap(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require(current_actor(), permission)
            return view(*args, **kwargs)
        return checked  # type: ignore[return-value]
    return wrap
