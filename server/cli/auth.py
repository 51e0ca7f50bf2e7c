"""`stroom tokens|groups|roles|operators|partnerships ...`: operator commands for identity (users:
server.cli.core)."""
from __future__ import annotations

import click
from sqlalchemy import select

from server.audit import service as audit
from server.auth import directory, partnerships, tokens
from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import Environment, User
from server.auth.permissions import OPERATOR
from server.cli import echo_json
from server.errors import Conflict, InvalidInput
from server.host import open_host
from server.settings import load_settings

ENV_OPTION = click.option("--environment", "environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True,
                          help="Environment (tenant) to act in.")


@click.group("tokens")
def tokens_group() -> None:
    """Bearer API tokens."""


@tokens_group.command("create")
@click.argument("login")
@ENV_OPTION
@click.option("--name", default="", help="What the token is for (shown in lists).")
def tokens_create(login: str, environment: str, name: str) -> None:
    """Create a token for LOGIN and print it once (only its hash is stored)."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        user = directory.get_user(session, env.id, login)
        token, plain = tokens.create_token(session, user, actor=Actor.system(env.id, "cli"), name=name)
        echo_json({"id": token.id, "login": login, "environment": environment, "name": name, "token": plain})


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@ENV_OPTION
def tokens_revoke(token_id: int, environment: str) -> None:
    """Revoke a token by id."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        tokens.revoke_token(session, token_id, actor=Actor.system(env.id, "cli"))
        echo_json({"id": token_id, "revoked": True})


@tokens_group.command("list")
@ENV_OPTION
def tokens_list(environment: str) -> None:
    """Tokens of the environment (never their text)."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        for token, login in tokens.list_tokens(session, env.id):
            echo_json({"id": token.id, "login": login, "name": token.name,
                       "revoked": token.revoked_at is not None})


@click.group("groups")
def groups_group() -> None:
    """Groups (departments such as creditors, purchasing)."""


@groups_group.command("create")
@click.argument("name")
@ENV_OPTION
@click.option("--display-name", default="")
def groups_create(name: str, environment: str, display_name: str) -> None:
    """Create a group."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
        group = directory.create_group(session, env.id, name, actor=Actor.system(env.id, "cli"),
                                       display_name=display_name)
        echo_json({"name": group.name, "environment": environment})


@groups_group.command("add")
@click.argument("name")
@click.argument("login")
@ENV_OPTION
def groups_add(name: str, login: str, environment: str) -> None:
    """Put LOGIN in group NAME."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        directory.add_member(session, env.id, name, login, actor=Actor.system(env.id, "cli"))
        echo_json({"group": name, "login": login, "member": True})


@groups_group.command("remove")
@click.argument("name")
@click.argument("login")
@ENV_OPTION
def groups_remove(name: str, login: str, environment: str) -> None:
    """Take LOGIN out of group NAME."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        directory.remove_member(session, env.id, name, login, actor=Actor.system(env.id, "cli"))
        echo_json({"group": name, "login": login, "member": False})


@groups_group.command("list")
@ENV_OPTION
def groups_list(environment: str) -> None:
    """Groups with their members."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        for group, members in directory.list_groups(session, env.id):
            echo_json({"name": group.name, "members": members})


@click.group("roles")
def roles_group() -> None:
    """Roles beyond the built-in ones, for tasks routed to a role (such as controller)."""


@roles_group.command("create")
@click.argument("name")
@ENV_OPTION
def roles_create(name: str, environment: str) -> None:
    """Define role NAME in the environment, so that users may be given it."""
    if not name or len(name) > 100 or any(c.isspace() for c in name) or name == OPERATOR:
        raise InvalidInput(f"{name!r} cannot be a role: 1 to 100 characters without spaces, and not "
                           f"{OPERATOR!r} (`stroom operators grant LOGIN`)", code="invalid_role")
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
        if name in auth.known_roles(session, env.id):
            raise Conflict(f"role {name!r} already exists", code="role_exists")
        auth.ensure_role(session, env.id, name)
        audit.record(session, actor=Actor.system(env.id, "cli"), action="role.created", target_type="role",
                     target_id=name, after={"name": name})
        echo_json({"role": name, "environment": environment})


@roles_group.command("list")
@ENV_OPTION
def roles_list(environment: str) -> None:
    """Role names that may be given in the environment."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        echo_json({"environment": environment, "roles": sorted(auth.known_roles(session, env.id))})


@click.group("operators")
def operators_group() -> None:
    """Operators: people who may list and create environments (API and admin pages)."""


def _set_operator(login: str, environment: str, value: bool) -> None:
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        user = directory.get_user(session, env.id, login)
        if user.operator != value:
            user.operator = value
            auth.end_sessions(session, user.id)  # a change of role: sessions end as for any other
            audit.record(session, actor=Actor.system(env.id, "cli"), action="user.updated",
                         target_type="user", target_id=login, before={"operator": not value},
                         after={"operator": value, "sessions_ended": True})
        echo_json({"login": login, "environment": environment, "operator": value})


@operators_group.command("grant")
@click.argument("login")
@ENV_OPTION
def operators_grant(login: str, environment: str) -> None:
    """Make LOGIN an operator (may list and create every environment)."""
    _set_operator(login, environment, True)


@operators_group.command("revoke")
@click.argument("login")
@ENV_OPTION
def operators_revoke(login: str, environment: str) -> None:
    """Take the operator flag from LOGIN."""
    _set_operator(login, environment, False)


@operators_group.command("list")
def operators_list() -> None:
    """Every operator, in every environment."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        rows = session.execute(select(Environment.name, User.login, User.active)
                               .join(User, User.environment_id == Environment.id)
                               .where(User.operator.is_(True)).order_by(Environment.name, User.login))
        for env_name, login, active in rows:
            echo_json({"login": login, "environment": env_name, "active": active})


@click.group("partnerships")
def partnerships_group() -> None:
    """Partnerships between environments (tasks may be delegated across them)."""


@partnerships_group.command("create")
@click.argument("env_a")
@click.argument("env_b")
def partnerships_create(env_a: str, env_b: str) -> None:
    """Make ENV_A and ENV_B partners (both must exist)."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        a, b = auth.get_environment(session, env_a), auth.get_environment(session, env_b)
        found = partnerships.create(session, a, b, actor=Actor.system(a.id, "cli"))
        echo_json({"id": found.id, "environments": [env_a, env_b], "status": found.status})


@partnerships_group.command("list")
@ENV_OPTION
def partnerships_list(environment: str) -> None:
    """Partnerships of an environment."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        for found, partner in partnerships.list_for(session, env.id):
            echo_json({"id": found.id, "partner": partner, "status": found.status})


@partnerships_group.command("end")
@click.argument("partnership_id", type=int)
@ENV_OPTION
def partnerships_end(partnership_id: int, environment: str) -> None:
    """End a partnership by id."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        partnerships.end(session, actor=Actor.system(env.id, "cli"), partnership_id=partnership_id)
        echo_json({"id": partnership_id, "ended": True})


def register(group: click.Group) -> None:
    for command in (tokens_group, groups_group, roles_group, operators_group, partnerships_group):
        group.add_command(command)
