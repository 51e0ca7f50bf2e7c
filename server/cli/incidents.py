"""`stroom incidents causes` and `stroom incidents retry --cause CODE --as LOGIN`."""
from __future__ import annotations

import click

from server import causes
from server.cli import echo_json
from server.cli.acting import ENV, cli_actor, run_as
from server.cli.instances import AS, REASON
from server.host import open_host
from server.operations import incidents as operations
from server.settings import load_settings


@click.group("incidents")
def incidents_group() -> None:
    """Open incidents by cause, and retrying every one of a cause."""


@incidents_group.command("causes")
@ENV
def causes_command(environment: str) -> None:
    """Open incidents counted by cause, with the model and element where they happen (one JSON document)."""
    run_as(environment, None, lambda s, h, a: {"items": [c.to_json() for c in operations.cause_counts(s, actor=a)]})


@incidents_group.command("retry")
@click.option("--cause", "cause", required=True, type=click.Choice(causes.CODES), help="The cause code.")
@REASON
@ENV
@AS
def retry_command(cause: str, reason: str, environment: str, login: str | None) -> None:
    """Retry every open incident of a cause (one transaction per instance); prints retried and failed again."""
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            actor = cli_actor(session, environment, login)
        echo_json(operations.retry_all(host, actor=actor, cause=cause, reason=reason).to_json())
    finally:
        host.db.dispose()


def register(group: click.Group) -> None:
    group.add_command(incidents_group)
