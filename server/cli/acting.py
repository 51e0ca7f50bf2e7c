"""Who a `stroom` command acts as, and running one operation as them: shared by the command modules."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
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


def cli_actor(session: Session, environment: str | None, login: str | None, *, create: bool = False,
              system_name: str = "cli") -> Actor:
    """The active user `login` of the environment, or the system actor `system_name` when no login is given.

    `create`: the environment is made on first use (as `stroom users create` does); otherwise a missing one
    is NotFound. `environment` None: the system acting across environments (no environment of its own)."""
    if environment is None:
        return Actor.system(0, system_name)
    env = auth.ensure_environment(session, environment) if create else auth.get_environment(session, environment)
    if not login:
        return Actor.system(env.id, system_name)
    user = session.scalars(select(User).where(User.environment_id == env.id, User.login == login)).one_or_none()
    if user is None or not user.active:
        raise NotFound(f"user {login!r} not found in {environment}", code="user_not_found")
    return auth.actor_for(session, user)


def echo_result(result: Any) -> None:
    """The answer as one JSON line (a view through its `to_json`)."""
    echo_json(result.to_json() if hasattr(result, "to_json") else result)


def echo_each(results: Iterable[Any]) -> None:
    """One JSON line per item: the shape of the list commands scripts read line by line."""
    for result in results:
        echo_result(result)


def run_as(environment: str | None, login: str | None, work: Work,
           *, show: Callable[[Session, Host, Actor, Any], Any] | None = None,
           echo: Callable[[Any], None] = echo_result, create: bool = False) -> Any:
    """Run `work` in one unit of work as `login`, then `show` its result in a second (after the commit, so
    the view sees what was committed), and print the answer with `echo` (one JSON line); returns it.

    `create`: the environment is made on first use (see cli_actor)."""
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            actor = cli_actor(session, environment, login, create=create)
            result = work(session, host, actor)
        if show is not None:
            with host.db.unit_of_work() as session:
                result = show(session, host, actor, result)
        echo(result)
        return result
    finally:
        host.db.dispose()


@contextlib.contextmanager
def acting(environment: str, login: str | None, *, system_name: str = "cli") -> Iterator[tuple[Host, Actor]]:
    """The host and the actor `login`, for a command whose operation opens its own units of work (a
    progress bar, a stream) or answers more than one JSON line as it goes."""
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            actor = cli_actor(session, environment, login, system_name=system_name)
        yield host, actor
    finally:
        host.db.dispose()
