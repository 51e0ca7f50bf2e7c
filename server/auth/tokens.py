"""Bearer API tokens: shown once, stored as SHA-256, revocable."""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import ApiToken, User
from server.db import utcnow
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


def user_for_token(session: Session, plain: str) -> User | None:
    """The active user owning an unrevoked token, or None."""
    if not plain.startswith(PREFIX):
        return None
    row = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                          .where(ApiToken.token_hash == token_hash(plain), ApiToken.revoked_at.is_(None),
                                 User.active.is_(True))).first()
    return row[1] if row else None


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
