"""`stroom settings show|set`: an environment's settings from the operator's command line (audited)."""
from __future__ import annotations

import click

from server.auth import script_policy as policy
from server.auth import service as auth
from server.auth.actor import Actor
from server.cli import echo_json
from server.host import open_host
from server.settings import load_settings

ENV_OPTION = click.option("--environment", "environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True,
                          help="Environment (tenant) whose settings to show or change.")


@click.group("settings")
def settings_group() -> None:
    """Per-environment settings (python_scripts: Python script tasks, sandboxed; off by default)."""


@settings_group.command("show")
@ENV_OPTION
def settings_show(environment: str) -> None:
    """Print the environment's settings as JSON."""
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        view = policy.get_settings(session, actor=Actor.system(env.id, "cli"), environment_id=env.id)
        echo_json(view.as_dict())


@settings_group.command("set")
@click.argument("name", type=click.Choice(policy.SETTINGS))
@click.argument("value", metavar="on|off")
@ENV_OPTION
def settings_set(name: str, value: str, environment: str) -> None:
    """Turn setting NAME on or off in the environment; prints the settings after the change."""
    switch = policy.parse_switch(value, field=name)
    host = open_host(load_settings())
    with host.db.unit_of_work() as session:
        env = auth.get_environment(session, environment)
        view = policy.change_settings(session, actor=Actor.system(env.id, "cli"), environment_id=env.id,
                                      changes={name: switch})
        echo_json(view.as_dict())


def register(group: click.Group) -> None:
    group.add_command(settings_group)
