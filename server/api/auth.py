"""Who is calling: a bearer token (systems) or the flask-login session (browsers)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.auth.models import User
from server.auth.permissions import require
from server.errors import Forbidden, Unauthorized
from server.host import Host

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class SessionUser(UserMixin):
    """What flask-login keeps in the session: "user id:session epoch", and the actor built at load time.

    The epoch is the user's `session_epoch` at login; logout, a new password, deactivation and a role
    change raise it, and `load_user` refuses a cookie whose epoch is no longer the user's.
    """

    def __init__(self, user_id: int, epoch: int, actor: Actor):
        self.id = f"{user_id}:{epoch}"
        self.user_id = user_id
        self.actor = actor


def parse_session_id(value: str) -> tuple[int, int] | None:
    """(user id, epoch) from the session's user id; None for anything else (cookies before 0010 too)."""
    user_id, sep, epoch = value.partition(":")
    if not sep or not user_id.isdigit() or not epoch.isdigit() or len(value) > 40:
        return None
    return int(user_id), int(epoch)


def host() -> Host:
    return current_app.extensions["stroom"]


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


def end_user_sessions() -> None:
    """Log out: raise the user's session epoch (copies of this cookie die too), then clear the cookie."""
    if current_user.is_authenticated:
        with host().db.unit_of_work() as db:
            auth.end_sessions(db, current_user.user_id)
    logout_user()
    session.clear()


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
