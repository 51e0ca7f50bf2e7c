"""Web-edge plumbing the API and the pages share: the host of this app, the login session's user,
and the HTTP status of a domain error. Both edges import it; neither imports the other."""
from __future__ import annotations

from typing import Any

from flask import current_app, session
from flask_babel import gettext
from flask_login import UserMixin, current_user, logout_user

from server import causes, errors
from server.auth import service as auth
from server.auth.actor import Actor
from server.host import Host

STATUS = {
    errors.InvalidInput: 422, errors.NotFound: 404, errors.Conflict: 409, errors.Forbidden: 403,
    errors.Unauthorized: 401, errors.TooManyRequests: 429,
    errors.PayloadTooLarge: 413, errors.UnsupportedMediaType: 415,
}


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


def end_user_sessions() -> None:
    """Log out: raise the user's session epoch (copies of this cookie die too), then clear the cookie."""
    if current_user.is_authenticated:
        with host().db.unit_of_work() as db:
            auth.end_sessions(db, current_user.user_id)
    logout_user()
    session.clear()


def status_of(exc: errors.DomainError) -> int:
    """The HTTP status of a domain error (400 for one without its own)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def cause_words(code: str, detail: str | None = "") -> str:
    """An incident's cause as a sentence in the reader's language (`detail` None: the cause's own sentence)."""
    return causes.sentence(code, detail, translate=gettext)


def in_reader_language(incident: dict[str, Any]) -> dict[str, Any]:
    """An incident's JSON with `causeText` in the reader's language."""
    return {**incident, "causeText": cause_words(str(incident.get("cause") or causes.UNEXPECTED),
                                                 str(incident.get("cause_detail") or ""))}
