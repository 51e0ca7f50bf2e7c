"""Operators: people who may list and create environments, flagged on the machine (`stroom operators`)."""
from __future__ import annotations

import dataclasses

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.directory import get_user
from server.auth.models import Environment, User
from server.auth.service import end_sessions


@dataclasses.dataclass(frozen=True)
class Operator:
    login: str
    environment: str
    active: bool


def set_operator(session: Session, environment_id: int, login: str, *, actor: Actor, value: bool) -> None:
    """Give or take the operator flag; a change ends the user's sessions (as any change of role does) and
    is audited, setting it as it is changes nothing."""
    user = get_user(session, environment_id, login)
    if user.operator == value:
        return
    user.operator = value
    end_sessions(session, user.id)
    audit.record(session, actor=actor, action="user.updated", target_type="user", target_id=login,
                 before={"operator": not value}, after={"operator": value, "sessions_ended": True})


def list_operators(session: Session) -> list[Operator]:
    """Every operator in every environment, by environment and login."""
    rows = session.execute(select(Environment.name, User.login, User.active)
                           .join(User, User.environment_id == Environment.id)
                           .where(User.operator.is_(True)).order_by(Environment.name, User.login))
    return [Operator(login=login, environment=name, active=active) for name, login, active in rows]
