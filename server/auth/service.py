"""Environments, users, groups and roles: verb functions that only flush."""
from __future__ import annotations

import re

from sqlalchemy import bindparam, literal, select, union_all, update
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import Environment, Group, GroupMembership, Role, RoleMembership, User
from server.auth.passwords import checked_password, hash_password
from server.auth.permissions import OPERATOR, PERMISSIONS
from server.errors import Conflict, InvalidInput, NotFound

BUILTIN_ROLES = ("designer", "user", "admin", "auditor")
DEFAULT_ENVIRONMENT = "default"
# Roles the permission table grants something to (`system`: accounts that only submit invoices).
PERMISSION_ROLES = frozenset().union(*PERMISSIONS.values()) - {OPERATOR}
ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def get_environment(session: Session, name: str) -> Environment:
    """The environment called `name`, or NotFound."""
    env = session.scalars(select(Environment).where(Environment.name == name)).one_or_none()
    if env is None:
        raise NotFound(f"environment {name!r} does not exist", code="environment_not_found")
    return env


def ensure_environment(session: Session, name: str = DEFAULT_ENVIRONMENT) -> Environment:
    """The environment called `name`, created (with its roles and audit chain) on first use."""
    env = session.scalars(select(Environment).where(Environment.name == name)).one_or_none()
    if env is not None:
        return env
    if not name or len(name) > 100:
        raise InvalidInput("environment name must be 1 to 100 characters")
    return _add_environment(session, name, name, actor=None)


def create_environment(session: Session, name: str, *, actor: Actor, display_name: str = "") -> Environment:
    """A new environment (an operator's act, audited in it with who did it); Conflict if the name is taken."""
    if not isinstance(name, str) or not ENVIRONMENT_NAME.fullmatch(name):
        rule = "1 to 100 letters, digits, '.', '_' or '-'"
        raise InvalidInput(f"an environment name is {rule}", code="invalid_environment",
                           details=[{"field": "name", "message": rule}])
    if session.scalars(select(Environment.id).where(Environment.name == name)).first() is not None:
        raise Conflict(f"environment {name!r} already exists", code="environment_exists")
    return _add_environment(session, name, display_name[:200] or name, actor=actor)


def _add_environment(session: Session, name: str, display_name: str, *, actor: Actor | None) -> Environment:
    env = Environment(name=name, display_name=display_name)
    session.add(env)
    session.flush()
    audit.ensure_chain(session, env.id)
    for role in BUILTIN_ROLES:
        session.add(Role(environment_id=env.id, name=role))
    after: dict[str, object] = {"name": name}
    if actor is not None:
        after["by_environment"] = actor.environment_id
    audit.record(session, actor=actor or Actor.system(env.id), action="environment.created",
                 target_type="environment", target_id=env.id, environment_id=env.id, after=after)
    session.flush()
    return env


def known_roles(session: Session, environment_id: int) -> frozenset[str]:
    """Role names that may be given: the built-in ones, those the permission table names, and roles
    defined in the environment (`stroom roles create`). Never `operator`: that is a flag, not a role."""
    defined = session.scalars(select(Role.name).where(Role.environment_id == environment_id)).all()
    return (frozenset(BUILTIN_ROLES) | PERMISSION_ROLES | frozenset(defined)) - {OPERATOR}


def check_roles(session: Session, environment_id: int, roles: tuple[str, ...]) -> None:
    """InvalidInput (422) naming the first role that is not known, instead of creating it."""
    known = known_roles(session, environment_id)
    unknown = [r for r in roles if r not in known]
    if unknown:
        hint = "; operators are made with `stroom operators grant LOGIN`" if OPERATOR in unknown else ""
        raise InvalidInput(f"unknown role {unknown[0]!r} (known roles: {', '.join(sorted(known))}){hint}",
                           code="unknown_role",
                           details=[{"field": "roles", "role": r, "message": f"unknown role {r!r}"}
                                    for r in unknown])


def end_sessions(session: Session, user_id: int) -> None:
    """Raise the user's session epoch: every session cookie issued before stops working at once."""
    session.execute(update(User).where(User.id == user_id).values(session_epoch=User.session_epoch + 1)
                    .execution_options(synchronize_session="fetch"))


def ensure_group(session: Session, environment_id: int, name: str) -> Group:
    group = session.scalars(select(Group).where(Group.environment_id == environment_id,
                                                Group.name == name)).one_or_none()
    if group is None:
        group = Group(environment_id=environment_id, name=name, display_name=name)
        session.add(group)
        session.flush()
    return group


def ensure_role(session: Session, environment_id: int, name: str) -> Role:
    role = session.scalars(select(Role).where(Role.environment_id == environment_id,
                                              Role.name == name)).one_or_none()
    if role is None:
        role = Role(environment_id=environment_id, name=name)
        session.add(role)
        session.flush()
    return role


def create_user(session: Session, environment_id: int, login: str, *, actor: Actor,
                password: str | None = None, roles: tuple[str, ...] = ("user",),
                groups: tuple[str, ...] = (), display_name: str = "", email: str = "",
                language: str = "en") -> User:
    """A new user with roles and groups (created on first use); Conflict if the login is taken."""
    if not login or len(login) > 100 or any(c.isspace() for c in login):
        raise InvalidInput("login must be 1 to 100 characters without spaces", code="invalid_login")
    if language not in ("en", "nl"):
        raise InvalidInput("language must be 'en' or 'nl'", code="invalid_language")
    taken = session.scalars(select(User).where(User.environment_id == environment_id,
                                               User.login == login)).one_or_none()
    if taken is not None:
        raise Conflict(f"user {login!r} already exists", code="user_exists")
    check_roles(session, environment_id, tuple(roles))
    user = User(environment_id=environment_id, login=login, display_name=display_name or login,
                email=email, language=language, password_hash=None if password is None else hash_password(checked_password(password)))
    session.add(user)
    session.flush()
    for role in roles:
        session.add(RoleMembership(user_id=user.id, role_id=ensure_role(session, environment_id, role).id))
    for group in groups:
        session.add(GroupMembership(user_id=user.id, group_id=ensure_group(session, environment_id, group).id))
    audit.record(session, actor=actor, action="user.created", target_type="user", target_id=login,
                 after={"login": login, "roles": list(roles), "groups": list(groups), "email": email})
    session.flush()
    return user


# Every authenticated request reads these: one statement, built once (see db.execute).
_MEMBERSHIPS = union_all(
    select(literal("role"), Role.name).join(RoleMembership, RoleMembership.role_id == Role.id)
    .where(RoleMembership.user_id == bindparam("user_id")),
    select(literal("group"), Group.name).join(GroupMembership, GroupMembership.group_id == Group.id)
    .where(GroupMembership.user_id == bindparam("user_id")),
    select(literal("operator"), literal(OPERATOR))
    .where(User.id == bindparam("user_id"), User.operator.is_(True)),
)


def actor_for(session: Session, user: User, *, kind: str = "user") -> Actor:
    """The Actor for a user: their login, roles and groups."""
    return make_actor(session, user_id=user.id, login=user.login, environment_id=user.environment_id, kind=kind)


def make_actor(session: Session, *, user_id: int, login: str, environment_id: int, kind: str = "user") -> Actor:
    """The Actor for a user known by id and login (memberships read in one statement, after a flush)."""
    names: dict[str, set[str]] = {"role": set(), "group": set(), "operator": set()}
    for membership, name in session.execute(_MEMBERSHIPS, {"user_id": user_id}):
        names[membership].add(name)
    # `operator` comes only from users.operator, never from a role row of that name (made before 0010).
    roles = (names["role"] - {OPERATOR}) | names["operator"]
    return Actor(kind=kind, name=login, environment_id=environment_id, user_id=user_id,
                 roles=frozenset(roles), groups=frozenset(names["group"]))
