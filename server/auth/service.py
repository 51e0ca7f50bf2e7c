"""Environments, users, groups and roles: verb functions that only flush."""
from __future__ import annotations

from sqlalchemy import bindparam, literal, select, union_all
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import Environment, Group, GroupMembership, Role, RoleMembership, User
from server.auth.passwords import hash_password
from server.errors import Conflict, InvalidInput, NotFound

BUILTIN_ROLES = ("designer", "user", "admin", "auditor")
DEFAULT_ENVIRONMENT = "default"


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
    env = Environment(name=name, display_name=name)
    session.add(env)
    session.flush()
    audit.ensure_chain(session, env.id)
    for role in BUILTIN_ROLES:
        session.add(Role(environment_id=env.id, name=role))
    audit.record(session, actor=Actor.system(env.id), action="environment.created",
                 target_type="environment", target_id=env.id, after={"name": name})
    session.flush()
    return env


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
    user = User(environment_id=environment_id, login=login, display_name=display_name or login,
                email=email, language=language, password_hash=hash_password(password) if password else None)
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
)


def actor_for(session: Session, user: User, *, kind: str = "user") -> Actor:
    """The Actor for a user: their login, roles and groups."""
    return make_actor(session, user_id=user.id, login=user.login, environment_id=user.environment_id, kind=kind)


def make_actor(session: Session, *, user_id: int, login: str, environment_id: int, kind: str = "user") -> Actor:
    """The Actor for a user known by id and login (memberships read in one statement, after a flush)."""
    names: dict[str, set[str]] = {"role": set(), "group": set()}
    for membership, name in session.execute(_MEMBERSHIPS, {"user_id": user_id}):
        names[membership].add(name)
    return Actor(kind=kind, name=login, environment_id=environment_id, user_id=user_id,
                 roles=frozenset(names["role"]), groups=frozenset(names["group"]))
