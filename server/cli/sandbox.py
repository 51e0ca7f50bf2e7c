"""`stroom settings show|set`: an environment's settings from the operator's command line (audited)."""
from __future__ import annotations

import click

from server.auth import script_policy as policy
from server.auth import service as auth
from server.cli.acting import run_as

ENV_OPTION = click.option("--environment", "environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True,
                          help="Environment (tenant) whose settings to show or change.")


@click.group("settings")
def settings_group() -> None:
    """Per-environment settings (python_scripts: Python script tasks, sandboxed; off by default)."""


@settings_group.command("show")
@ENV_OPTION
def settings_show(environment: str) -> None:
    """Print the environment's settings as JSON."""
    run_as(environment, None, lambda s, h, a: policy.get_settings(s, actor=a, environment_id=a.environment_id)
           .as_dict())


@settings_group.command("set")
@click.argument("name", type=click.Choice(policy.SETTINGS))
@click.argument("value", metavar="on|off")
@ENV_OPTION
def settings_set(name: str, value: str, environment: str) -> None:
    """Turn setting NAME on or off in the environment; prints the settings after the change."""
    switch = policy.parse_switch(value, field=name)
    run_as(environment, None, lambda s, h, a: policy.change_settings(
        s, actor=a, environment_id=a.environment_id, changes={name: switch}).as_dict())


def register(group: click.Group) -> None:
    group.add_command(settings_group)
