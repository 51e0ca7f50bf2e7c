"""Bearer API tokens: shown once, stored as SHA-256, revocable."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import ApiToken, User
from server.auth.service import make_actor
from server.db import execute, utcnow
from server.errors import NotFound

PREFIX = "stroom_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, *, actor: Actor, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`; the plain text is returned once and never stored."""
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=token_hash(plain), name=name)
    session.add(token)
    session.flush()
    audit.record(session, actor=actor, action="token.created", target_type="user", target_id=user.login,
                 environment_id=user.environment_id, after={"token_id": token.id, "name": name})
    return token, plain


_TOKEN_OWNER = (select(User.id, User.login, User.environment_id).join(ApiToken, ApiToken.user_id == User.id)
                .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None),
                       User.active.is_(True)))


def actor_for_token(session: Session, plain: str) -> Actor | None:
    """The Actor of an active user owning an unrevoked token, or None (read on every API request)."""
    if not plain.startswith(PREFIX):
        return None
    row = execute(session, _TOKEN_OWNER, {"digest": token_hash(plain)}).first()
    if row is None:
        return None
    return make_actor(session, user_id=row.id, login=row.login, environment_id=row.environment_id, kind="token")


def revoke_token(session: Session, token_id: int, *, actor: Actor) -> None:
    token = session.get(ApiToken, token_id)
    user = session.get(User, token.user_id) if token else None
    if token is None or user is None or user.environment_id != actor.environment_id:
        raise NotFound(f"token {token_id} not found", code="token_not_found")
    token.revoked_at = utcnow()
    audit.record(session, actor=actor, action="token.revoked", target_type="user", target_id=user.login,
                 after={"token_id": token_id})
    session.flush()


def list_tokens(session: Session, environment_id: int, *, user_id: int | None = None) -> list[tuple[ApiToken, str]]:
    """Tokens (never their text) with their owner's login; one user's or the whole environment's."""
    query = (select(ApiToken, User.login).join(User, User.id == ApiToken.user_id)
             .where(User.environment_id == environment_id).order_by(ApiToken.id))
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return [(row[0], row[1]) for row in session.execute(query)]


def owner_of(session: Session, token_id: int, environment_id: int) -> User:
    """The user owning a token of this environment, or NotFound."""
    token = session.get(ApiToken, token_id)
    user = session.get(User, token.user_id) if token else None
    if user is None or user.environment_id != environment_id:
        raise NotFound(f"token {token_id} not found", code="token_not_found")
    return user
