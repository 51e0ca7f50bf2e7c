"""Who a `stroom` command acts as, and running one operation as them: shared by the command modules."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import User
from server.cli import echo_json
from server.errors import NotFound
from server.host import Host, open_host
from server.settings import load_settings

ENV = click.option("--environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True)

Work = Callable[[Session, Host, Actor], Any]


def cli_actor(session: Session, environment: str, login: str | None) -> Actor:
    """The active user `login` of the environment, or the system actor 'cli' when no login is given."""
    env = auth.get_environment(session, environment)
    if not login:
        return Actor.system(env.id, "cli")
    user = session.scalars(select(User).where(User.environment_id == env.id, User.login == login)).one_or_none()
    if user is None or not user.active:
        raise NotFound(f"user {login!r} not found in {environment}", code="user_not_found")
    return auth.actor_for(session, user)


def run_as(environment: str, login: str | None, work: Work,
           *, show: Callable[[Session, Host, Actor, Any], Any] | None = None) -> None:
    """Run `work` in one unit of work as `login`, then `show` its result in a second (after the commit, so
    the view sees what was committed), and print the answer as one JSON line."""
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            actor = cli_actor(session, environment, login)
            result = work(session, host, actor)
        if show is not None:
            with host.db.unit_of_work() as session:
                result = show(session, host, actor, result)
        echo_json(result.to_json() if hasattr(result, "to_json") else result)
    finally:
        host.db.dispose()


@contextlib.contextmanager
def acting(environment: str, login: str | None) -> Iterator[tuple[Host, Actor]]:
    """The host and the actor `login`, for a command whose operation opens its own units of work."""
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            actor = cli_actor(session, environment, login)
        yield host, actor
    finally:
        host.db.dispose()
