"""`stroom tokens|groups|roles|operators|partnerships ...`: operator commands for identity (users:
server.cli.core). Each runs one verb of server.auth (those the API calls too) as the system actor 'cli'."""
from __future__ import annotations

from typing import Any

import click
from sqlalchemy.orm import Session

from server.auth import directory, operators, partnerships, tokens
from server.auth import service as auth
from server.auth.actor import Actor
from server.cli.acting import echo_each, run_as
from server.host import Host

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
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        user = directory.get_user(session, actor.environment_id, login)
        token, plain = tokens.create_token(session, user, actor=actor, name=name)
        return {"id": token.id, "login": login, "environment": environment, "name": name, "token": plain}
    run_as(environment, None, work)


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@ENV_OPTION
def tokens_revoke(token_id: int, environment: str) -> None:
    """Revoke a token by id."""
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        tokens.revoke_token(session, token_id, actor=actor)
        return {"id": token_id, "revoked": True}
    run_as(environment, None, work)


@tokens_group.command("list")
@ENV_OPTION
def tokens_list(environment: str) -> None:
    """Tokens of the environment (never their text), one JSON line each."""
    run_as(environment, None, lambda s, h, a: [
        {"id": token.id, "login": login, "name": token.name, "revoked": token.revoked_at is not None}
        for token, login in tokens.list_tokens(s, a.environment_id)], echo=echo_each)


@click.group("groups")
def groups_group() -> None:
    """Groups (departments such as creditors, purchasing)."""


@groups_group.command("create")
@click.argument("name")
@ENV_OPTION
@click.option("--display-name", default="")
def groups_create(name: str, environment: str, display_name: str) -> None:
    """Create a group (the environment is created on first use)."""
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        group = directory.create_group(session, actor.environment_id, name, actor=actor, display_name=display_name)
        return {"name": group.name, "environment": environment}
    run_as(environment, None, work, create=True)


@groups_group.command("add")
@click.argument("name")
@click.argument("login")
@ENV_OPTION
def groups_add(name: str, login: str, environment: str) -> None:
    """Put LOGIN in group NAME."""
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        directory.add_member(session, actor.environment_id, name, login, actor=actor)
        return {"group": name, "login": login, "member": True}
    run_as(environment, None, work)


@groups_group.command("remove")
@click.argument("name")
@click.argument("login")
@ENV_OPTION
def groups_remove(name: str, login: str, environment: str) -> None:
    """Take LOGIN out of group NAME."""
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        directory.remove_member(session, actor.environment_id, name, login, actor=actor)
        return {"group": name, "login": login, "member": False}
    run_as(environment, None, work)


@groups_group.command("list")
@ENV_OPTION
def groups_list(environment: str) -> None:
    """Groups with their members, one JSON line each."""
    run_as(environment, None, lambda s, h, a: [{"name": group.name, "members": members}
                                               for group, members in directory.list_groups(s, a.environment_id)],
           echo=echo_each)


@click.group("roles")
def roles_group() -> None:
    """Roles beyond the built-in ones, for tasks routed to a role (such as controller)."""


@roles_group.command("create")
@click.argument("name")
@ENV_OPTION
def roles_create(name: str, environment: str) -> None:
    """Define role NAME in the environment, so that users may be given it (created on first use)."""
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        directory.create_role(session, actor.environment_id, name, actor=actor)
        return {"role": name, "environment": environment}
    run_as(environment, None, work, create=True)


@roles_group.command("list")
@ENV_OPTION
def roles_list(environment: str) -> None:
    """Role names that may be given in the environment."""
    run_as(environment, None, lambda s, h, a: {"environment": environment,
                                               "roles": sorted(auth.known_roles(s, a.environment_id))})


@click.group("operators")
def operators_group() -> None:
    """Operators: people who may list and create environments (API and admin pages)."""


def _set_operator(login: str, environment: str, value: bool) -> None:
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        operators.set_operator(session, actor.environment_id, login, actor=actor, value=value)
        return {"login": login, "environment": environment, "operator": value}
    run_as(environment, None, work)


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
    """Every operator, in every environment, one JSON line each."""
    run_as(None, None, lambda s, h, a: [{"login": o.login, "environment": o.environment, "active": o.active}
                                        for o in operators.list_operators(s)], echo=echo_each)


@click.group("partnerships")
def partnerships_group() -> None:
    """Partnerships between environments (tasks may be delegated across them)."""


@partnerships_group.command("create")
@click.argument("env_a")
@click.argument("env_b")
def partnerships_create(env_a: str, env_b: str) -> None:
    """Make ENV_A and ENV_B partners (both must exist)."""
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        a, b = auth.get_environment(session, env_a), auth.get_environment(session, env_b)
        found = partnerships.create(session, a, b, actor=actor)
        return {"id": found.id, "environments": [env_a, env_b], "status": found.status}
    run_as(env_a, None, work)


@partnerships_group.command("list")
@ENV_OPTION
def partnerships_list(environment: str) -> None:
    """Partnerships of an environment, one JSON line each."""
    run_as(environment, None, lambda s, h, a: [{"id": found.id, "partner": partner, "status": found.status}
                                               for found, partner in partnerships.list_for(s, a.environment_id)],
           echo=echo_each)


@partnerships_group.command("end")
@click.argument("partnership_id", type=int)
@ENV_OPTION
def partnerships_end(partnership_id: int, environment: str) -> None:
    """End a partnership by id."""
    def work(session: Session, host: Host, actor: Actor) -> dict[str, Any]:
        partnerships.end(session, actor=actor, partnership_id=partnership_id)
        return {"id": partnership_id, "ended": True}
    run_as(environment, None, work)


def register(group: click.Group) -> None:
    for command in (tokens_group, groups_group, roles_group, operators_group, partnerships_group):
        group.add_command(command)
