"""Partnerships between environments: the only way a task crosses from one tenant to another.

Through the API an admin *requests* a partnership and the other environment's admin accepts it, so
no environment can open itself a door into another one; the operator's CLI creates active ones.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import Environment, Partnership
from server.db import utcnow
from server.errors import Conflict, InvalidInput, NotFound


def _between(session: Session, a: int, b: int) -> Partnership | None:
    return session.scalars(select(Partnership).where(or_(
        (Partnership.environment_id == a) & (Partnership.partner_id == b),
        (Partnership.environment_id == b) & (Partnership.partner_id == a)))).first()


def create(session: Session, env_a: Environment, env_b: Environment, *, actor: Actor) -> Partnership:
    """An active partnership (operator's CLI); an existing request between them is activated."""
    if env_a.id == env_b.id:
        raise InvalidInput("an environment cannot partner with itself", code="invalid_partnership")
    found = _between(session, env_a.id, env_b.id)
    if found is None:
        found = Partnership(environment_id=env_a.id, partner_id=env_b.id, requested_by=actor.name)
        session.add(found)
    found.status, found.accepted_at = "active", utcnow()
    session.flush()
    for env_id, other in ((env_a.id, env_b.name), (env_b.id, env_a.name)):
        audit.record(session, actor=actor, action="partnership.created", target_type="partnership",
                     target_id=found.id, environment_id=env_id, after={"partner": other, "status": "active"})
    return found


def request(session: Session, *, actor: Actor, partner: str) -> Partnership:
    """Ask another environment for a partnership; it is pending until their admin accepts."""
    env = session.scalars(select(Environment).where(Environment.name == partner)).one_or_none()
    if env is None or env.id == actor.environment_id:
        # same answer whether or not the environment exists: nothing about other tenants leaks
        raise InvalidInput("a partnership request needs the name of another environment",
                           code="invalid_partnership", details=[{"field": "partner", "message": "not available"}])
    if _between(session, actor.environment_id, env.id) is not None:
        raise Conflict("a partnership or request with that environment exists", code="partnership_exists")
    found = Partnership(environment_id=actor.environment_id, partner_id=env.id, status="pending",
                        requested_by=actor.name)
    session.add(found)
    session.flush()
    audit.record(session, actor=actor, action="partnership.requested", target_type="partnership",
                 target_id=found.id, after={"partner": partner})
    return found


def get(session: Session, actor: Actor, partnership_id: int) -> Partnership:
    """A partnership one side of which is the caller's environment, or NotFound."""
    found = session.get(Partnership, partnership_id)
    if found is None or actor.environment_id not in (found.environment_id, found.partner_id):
        raise NotFound(f"partnership {partnership_id} not found", code="partnership_not_found")
    return found


def accept(session: Session, *, actor: Actor, partnership_id: int) -> Partnership:
    """The requested environment's admin accepts a pending request."""
    found = get(session, actor, partnership_id)
    if found.partner_id != actor.environment_id:
        raise NotFound(f"partnership {partnership_id} not found", code="partnership_not_found")
    if found.status != "pending":
        raise Conflict("this partnership is already active", code="partnership_active")
    found.status, found.accepted_at = "active", utcnow()
    for env_id in (found.environment_id, found.partner_id):
        audit.record(session, actor=actor, action="partnership.accepted", target_type="partnership",
                     target_id=found.id, environment_id=env_id)
    session.flush()
    return found


def end(session: Session, *, actor: Actor, partnership_id: int) -> None:
    """Either side ends a partnership (or withdraws a request); delegated tasks become unreachable."""
    found = get(session, actor, partnership_id)
    for env_id in (found.environment_id, found.partner_id):
        audit.record(session, actor=actor, action="partnership.ended", target_type="partnership",
                     target_id=found.id, environment_id=env_id)
    session.delete(found)
    session.flush()


def list_for(session: Session, environment_id: int) -> list[tuple[Partnership, str]]:
    """The environment's partnerships with the other side's name."""
    rows = session.scalars(select(Partnership).where(or_(Partnership.environment_id == environment_id,
                                                         Partnership.partner_id == environment_id))
                           .order_by(Partnership.id)).all()
    names = {row[0]: row[1] for row in session.execute(select(Environment.id, Environment.name))}
    return [(p, names[p.partner_id if p.environment_id == environment_id else p.environment_id]) for p in rows]
