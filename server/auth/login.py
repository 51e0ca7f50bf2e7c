"""Password login with lockout: 5 failures in a row lock the account for 15 minutes.

`attempt` returns a result instead of raising, so the caller commits the failure counter and the
audit entry of a failed login before answering 401. Every attempt costs one Argon2 verification,
whether the login is unknown, inactive, locked or password-less, and the edges answer a locked
account exactly as an unknown one: neither the answer nor its time tells which accounts exist or
are locked. Only the audit entry keeps the reason.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import Environment, User
from server.auth.passwords import hash_password, verify_password
from server.db import utcnow

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
_DUMMY_HASH: list[str] = []


@dataclasses.dataclass(frozen=True)
class LoginResult:
    """The user on success; otherwise why not (`invalid_credentials` or `locked`) and until when."""

    user: User | None
    reason: str | None = None
    locked_until: dt.datetime | None = None


def _burn_time(password: str) -> None:
    """Verify against a dummy hash so an unknown login takes as long as a wrong password."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password("not-a-password"))
    verify_password(_DUMMY_HASH[0], password)


def _verify(user: User, password: str) -> bool:
    """One Argon2 verification, also for a user without a password."""
    if not user.password_hash:
        _burn_time(password)
        return False
    return verify_password(user.password_hash, password)


def attempt(session: Session, *, environment: str, login: str, password: str,
            now: dt.datetime | None = None) -> LoginResult:
    """Check a login; counts failures, locks after 5, and audits success and failure."""
    now = now or utcnow()
    env = session.scalars(select(Environment).where(Environment.name == environment)).one_or_none()
    user = None if env is None else session.scalars(select(User).where(
        User.environment_id == env.id, User.login == login)).one_or_none()
    if env is None or user is None or not user.active:
        _burn_time(password)
        if env is not None:
            audit.record(session, actor=Actor(kind="anonymous", name=login[:100], environment_id=env.id),
                         action="login.failed", target_type="user", target_id=login[:100],
                         after={"reason": "unknown_or_inactive"})
        return LoginResult(None, "invalid_credentials")
    if user.locked_until is not None and user.locked_until > now:
        _verify(user, password)  # as long as any other answer; the result is not used
        audit.record(session, actor=Actor(kind="anonymous", name=login, environment_id=env.id),
                     action="login.failed", target_type="user", target_id=login, after={"reason": "locked"})
        return LoginResult(None, "locked", user.locked_until)
    if not _verify(user, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        audit.record(session, actor=Actor(kind="anonymous", name=login, environment_id=env.id),
                     action="login.failed", target_type="user", target_id=login,
                     after={"reason": "bad_password", "locked_until": user.locked_until})
        session.flush()
        locked = user.locked_until if user.locked_until and user.locked_until > now else None
        return LoginResult(None, "locked" if locked else "invalid_credentials", locked)
    user.failed_logins, user.locked_until = 0, None
    audit.record(session, actor=Actor(kind="user", name=login, environment_id=env.id, user_id=user.id),
                 action="login.succeeded", target_type="user", target_id=login)
    session.flush()
    return LoginResult(user)
