"""Managing users, groups and roles of one environment: verb functions that only flush."""
from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import Group, GroupMembership, Role, RoleMembership, User
from server.auth.passwords import checked_password, hash_password
from server.auth.permissions import OPERATOR
from server.auth.service import check_roles, end_sessions, ensure_group, ensure_role, known_roles
from server.errors import Conflict, InvalidInput, NotFound

LANGUAGES = ("en", "nl")


@dataclasses.dataclass(frozen=True)
class UserView:
    id: int
    login: str
    display_name: str
    email: str
    language: str
    active: bool
    roles: list[str]
    groups: list[str]


def get_user(session: Session, environment_id: int, login: str) -> User:
    """A user of the environment by login, or NotFound."""
    user = session.scalars(select(User).where(User.environment_id == environment_id,
                                              User.login == login)).one_or_none()
    if user is None:
        raise NotFound(f"user {login!r} not found", code="user_not_found")
    return user


def view(session: Session, user: User) -> UserView:
    """A user with their role and group names."""
    roles = session.scalars(select(Role.name).join(RoleMembership, RoleMembership.role_id == Role.id)
                            .where(RoleMembership.user_id == user.id).order_by(Role.name)).all()
    groups = session.scalars(select(Group.name).join(GroupMembership, GroupMembership.group_id == Group.id)
                             .where(GroupMembership.user_id == user.id).order_by(Group.name)).all()
    return UserView(user.id, user.login, user.display_name, user.email, user.language, user.active,
                    list(roles), list(groups))


def list_users(session: Session, environment_id: int) -> list[UserView]:
    users = session.scalars(select(User).where(User.environment_id == environment_id).order_by(User.login))
    return [view(session, u) for u in users]


def update_user(session: Session, environment_id: int, login: str, *, actor: Actor,
                changes: dict[str, Any]) -> User:
    """Change display name, e-mail, language, active flag, password, roles or groups.

    A new password, a deactivation or a change of roles ends every session of the user.
    """
    user = get_user(session, environment_id, login)
    unknown = set(changes) - {"display_name", "email", "language", "active", "password", "roles", "groups"}
    if unknown:
        raise InvalidInput("unknown fields", code="invalid_user",
                           details=[{"field": f, "message": "unknown field"} for f in sorted(unknown)])
    before = dataclasses.asdict(view(session, user))
    _apply_profile(user, changes)
    if "password" in changes:
        user.password_hash = hash_password(checked_password(changes["password"]))
        user.failed_logins, user.locked_until = 0, None
    if "roles" in changes:
        set_memberships(session, user, roles=_names(changes["roles"], "roles"))
    if "groups" in changes:
        set_memberships(session, user, groups=_names(changes["groups"], "groups"))
    session.flush()
    after = dataclasses.asdict(view(session, user))
    ended = ("password" in changes or (before["active"] and not after["active"])
             or set(before["roles"]) != set(after["roles"]))
    if ended:
        end_sessions(session, user.id)
    audit.record(session, actor=actor, action="user.updated", target_type="user", target_id=login,
                 before=before,
                 after={**after, "password_changed": "password" in changes, "sessions_ended": ended})
    return user


def _apply_profile(user: User, changes: dict[str, Any]) -> None:
    for field, limit in (("display_name", 200), ("email", 300)):
        if field in changes:
            value = changes[field]
            if not isinstance(value, str) or len(value) > limit:
                raise InvalidInput(f"{field} must be text", code="invalid_user",
                                   details=[{"field": field, "message": f"text of at most {limit} characters"}])
            setattr(user, field, value)
    if "language" in changes:
        if changes["language"] not in LANGUAGES:
            raise InvalidInput("language must be en or nl", code="invalid_user",
                               details=[{"field": "language", "message": "must be en or nl"}])
        user.language = changes["language"]
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise InvalidInput("active must be true or false", code="invalid_user",
                               details=[{"field": "active", "message": "must be true or false"}])
        user.active = changes["active"]


def _names(value: Any, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 100 for v in value):
        raise InvalidInput(f"{field} must be a list of names", code="invalid_user",
                           details=[{"field": field, "message": "must be a list of names"}])
    return tuple(dict.fromkeys(value))


def set_memberships(session: Session, user: User, *, roles: tuple[str, ...] | None = None,
                    groups: tuple[str, ...] | None = None) -> None:
    """Replace a user's roles (known ones only) and/or groups (created on first use)."""
    if roles is not None:
        check_roles(session, user.environment_id, roles)
        session.execute(delete(RoleMembership).where(RoleMembership.user_id == user.id))
        for name in roles:
            session.add(RoleMembership(user_id=user.id, role_id=ensure_role(session, user.environment_id, name).id))
    if groups is not None:
        session.execute(delete(GroupMembership).where(GroupMembership.user_id == user.id))
        for name in groups:
            group = ensure_group(session, user.environment_id, name)
            session.add(GroupMembership(user_id=user.id, group_id=group.id))
    session.flush()


def list_groups(session: Session, environment_id: int) -> list[tuple[Group, list[str]]]:
    """Groups with their members' logins."""
    groups = session.scalars(select(Group).where(Group.environment_id == environment_id).order_by(Group.name))
    result = []
    for group in groups:
        members = session.scalars(select(User.login).join(GroupMembership, GroupMembership.user_id == User.id)
                                  .where(GroupMembership.group_id == group.id).order_by(User.login)).all()
        result.append((group, list(members)))
    return result


def create_group(session: Session, environment_id: int, name: str, *, actor: Actor,
                 display_name: str = "") -> Group:
    """A new group (a department such as `creditors`); Conflict if it exists."""
    if not isinstance(name, str) or not name or len(name) > 100 or any(c.isspace() for c in name):
        raise InvalidInput("a group name is 1 to 100 characters without spaces", code="invalid_group",
                           details=[{"field": "name", "message": "1 to 100 characters without spaces"}])
    exists = session.scalars(select(Group).where(Group.environment_id == environment_id,
                                                 Group.name == name)).one_or_none()
    if exists is not None:
        raise Conflict(f"group {name!r} already exists", code="group_exists")
    group = Group(environment_id=environment_id, name=name, display_name=display_name or name)
    session.add(group)
    session.flush()
    audit.record(session, actor=actor, action="group.created", target_type="group", target_id=name,
                 after={"name": name, "display_name": group.display_name})
    return group


def get_group(session: Session, environment_id: int, name: str) -> Group:
    group = session.scalars(select(Group).where(Group.environment_id == environment_id,
                                                Group.name == name)).one_or_none()
    if group is None:
        raise NotFound(f"group {name!r} not found", code="group_not_found")
    return group


def add_member(session: Session, environment_id: int, group_name: str, login: str, *, actor: Actor) -> None:
    """Put a user in a group (idempotent)."""
    group, user = get_group(session, environment_id, group_name), get_user(session, environment_id, login)
    if session.get(GroupMembership, (user.id, group.id)) is None:
        session.add(GroupMembership(user_id=user.id, group_id=group.id))
        audit.record(session, actor=actor, action="group.member_added", target_type="group",
                     target_id=group_name, after={"login": login})
    session.flush()


def remove_member(session: Session, environment_id: int, group_name: str, login: str, *, actor: Actor) -> None:
    """Take a user out of a group; NotFound if they were not in it."""
    group, user = get_group(session, environment_id, group_name), get_user(session, environment_id, login)
    membership = session.get(GroupMembership, (user.id, group.id))
    if membership is None:
        raise NotFound(f"{login!r} is not in group {group_name!r}", code="member_not_found")
    session.delete(membership)
    audit.record(session, actor=actor, action="group.member_removed", target_type="group",
                 target_id=group_name, after={"login": login})
    session.flush()


def create_role(session: Session, environment_id: int, name: str, *, actor: Actor) -> Role:
    """Define a role beyond the built-in ones (audited); InvalidInput for a bad name or `operator`
    (a flag, not a role), Conflict if it is already known."""
    if not name or len(name) > 100 or any(c.isspace() for c in name) or name == OPERATOR:
        raise InvalidInput(f"{name!r} cannot be a role: 1 to 100 characters without spaces, and not "
                           f"{OPERATOR!r} (`stroom operators grant LOGIN`)", code="invalid_role")
    if name in known_roles(session, environment_id):
        raise Conflict(f"role {name!r} already exists", code="role_exists")
    role = ensure_role(session, environment_id, name)
    audit.record(session, actor=actor, action="role.created", target_type="role", target_id=name,
                 after={"name": name})
    return role
