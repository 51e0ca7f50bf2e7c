"""`stroom batches ...`: count, start (with a progress bar), list, show and cancel batches of interventions."""
from __future__ import annotations

import sys
import time
from typing import Any

import click

from server.batches.selection import STATUSES
from server.cli import echo_json
from server.cli.acting import ENV, cli_actor, run_as
from server.host import Host, open_host
from server.operations import batches as operations
from server.operations.batch_kinds import batch_kinds
from server.settings import load_settings

AS = click.option("--as", "login", help="Act as this admin user (default: the system actor 'cli').")
POLL_SECONDS = 0.5


@click.group("batches")
def batches_group() -> None:
    """Suspend, resume, retry or terminate many instances chosen by a filter, in the background."""


def _filter_options(command: Any) -> Any:
    for option in reversed((
        click.option("--model", help="Model key."),
        click.option("--version", type=int, help="Model version (with --model)."),
        click.option("--element", help="Waits at this element (an open task or incident there)."),
        click.option("--incident/--no-incident", default=None, help="Has an open incident (or has none)."),
        click.option("--incident-message", help="An open incident's message contains this."),
        click.option("--cause", help="An open incident has this plain cause (see `stroom incidents causes`)."),
        click.option("--started-after", help="ISO 8601 date or time."),
        click.option("--started-before", help="ISO 8601 date or time."),
        click.option("--status", type=click.Choice(STATUSES), help="Only instances in this state."),
    )):
        command = option(command)
    return command


def _filter(values: dict[str, Any]) -> dict[str, Any]:
    names = ("model", "version", "element", "incident", "incident_message", "cause", "started_after", "started_before",
             "status")
    return {name: values[name] for name in names if values.get(name) is not None}


def _follow(host: Host, environment: str, login: str | None, batch_id: int) -> operations.BatchView:
    """Run the batch here (unless a worker already took it) with a progress bar, then its result."""
    def current() -> operations.BatchView:
        with host.db.reading() as session:
            actor = cli_actor(session, environment, login)
            return operations.show_batch(session, actor=actor, batch_id=batch_id, limit=1).batch
    view = current()
    with click.progressbar(length=max(view.total, 1), label=f"{view.kind} batch {view.id}", file=sys.stderr,
                           show_pos=True) as bar:
        shown = 0

        def advance(processed: int, total: int) -> None:
            nonlocal shown
            bar.update(processed - shown)
            shown = processed

        operations.run_batch(host, batch_id=batch_id, progress=advance)
        while True:  # a worker may hold it: follow its progress
            view = current()
            advance(view.processed, view.total)
            if view.ended:
                return view
            time.sleep(POLL_SECONDS)


@batches_group.command("start")
@click.option("--kind", required=True, type=click.Choice(list(batch_kinds())))
@_filter_options
@click.option("--reason", help="Why (kept in each instance's audit entry); needed unless --dry-run.")
@click.option("--dry-run", is_flag=True, help="Only count the instances the batch would act on.")
@click.option("--background", is_flag=True, help="Only queue the batch for the worker; print it.")
@click.option("--to-version", type=int, help="migrate: the version to move the instances to.")
@click.option("--map", "mappings", multiple=True, metavar="OLD=NEW",
              help="migrate: an element of the old version mapped by hand to one of the new.")
@ENV
@AS
def start_command(kind: str, reason: str | None, dry_run: bool, background: bool, to_version: int | None,
                  mappings: tuple[str, ...], environment: str, login: str | None, **values: Any) -> None:
    """Start a batch with a progress bar; prints its result as one JSON line (exit status 1 if any
    instance failed)."""
    chosen = _filter(values)
    options: dict[str, Any] = {}
    if to_version is not None:
        options["to_version"] = to_version
    if mappings:
        if any("=" not in pair for pair in mappings):
            raise click.BadParameter("use OLD=NEW", param_hint="--map")
        options["mapping"] = dict(pair.split("=", 1) for pair in mappings)
    if dry_run:
        run_as(environment, login, lambda s, h, a: operations.count_batch(s, actor=a, kind=kind, filter=chosen))
        return
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            actor = cli_actor(session, environment, login)
            view = operations.start_batch(session, actor=actor, edge="cli", kind=kind, filter=chosen, reason=reason,
                                          options=options)
        if not background:
            view = _follow(host, environment, login, view.id)
        echo_json(view.to_json())
    finally:
        host.db.dispose()
    sys.exit(1 if view.failed else 0)


@batches_group.command("list")
@click.option("--limit", default=50, show_default=True, type=int)
@ENV
@AS
def list_command(limit: int, environment: str, login: str | None) -> None:
    """The newest batches, one JSON document."""
    run_as(environment, login, lambda s, h, a: {"items": [v.to_json() for v in operations.list_batches(
        s, actor=a, limit=limit)[0]]})


@batches_group.command("show")
@click.argument("batch_id", type=int)
@click.option("--result", type=click.Choice(operations.RESULTS), help="Only the instances with this result.")
@click.option("--limit", default=200, show_default=True, type=int, help="Results shown.")
@ENV
@AS
def show_command(batch_id: int, result: str | None, limit: int, environment: str, login: str | None) -> None:
    """A batch's progress and its per-instance results."""
    run_as(environment, login, lambda s, h, a: operations.show_batch(s, actor=a, batch_id=batch_id, limit=limit,
                                                                    result=result))


@batches_group.command("cancel")
@click.argument("batch_id", type=int)
@ENV
@AS
def cancel_command(batch_id: int, environment: str, login: str | None) -> None:
    """Cancel a batch: a queued one at once, a running one after the instance in progress."""
    run_as(environment, login, lambda s, h, a: operations.cancel_batch(s, actor=a, batch_id=batch_id, edge="cli"))


def register(group: click.Group) -> None:
    """Add `stroom batches` to the CLI."""
    group.add_command(batches_group)
