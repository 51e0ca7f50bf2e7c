"""`stroom masterdata import KIND FILE...`: load master data from CSV or JSON files, each all or nothing."""

from __future__ import annotations

import getpass
import sys
import time
from pathlib import Path

import click

from server.auth import service as auth
from server.auth.actor import Actor
from server.cli import echo_json
from server.cli.acting import acting
from server.host import Host
from server.masterdata.csv_import import KINDS
from server.operations import masterdata as operations

POLL_SECONDS = 0.2
SAID_ROWS = 20  # refused rows written under the bar; the JSON line has them all


@click.group("masterdata")
def masterdata_group() -> None:
    """Master data: suppliers, bank accounts, administrations, orders, receipts, matching rules."""


def _follow(host: Host, actor: Actor, import_id: int, label: str) -> operations.ImportView:
    """Run the import here (unless a worker already took it) with a progress bar, then its summary."""
    with host.db.reading() as session:
        view = operations.master_data_import(session, actor=actor, import_id=import_id)
    with click.progressbar(length=max(view.total, 1), label=label, file=sys.stderr, show_pos=True) as bar:
        shown = 0

        def advance(done: int, total: int) -> None:
            nonlocal shown
            bar.length = max(total, 1)
            bar.update(done - shown)
            shown = done

        operations.run_master_data_import(host.db, import_id=import_id, progress=advance)
        while True:  # a worker may hold it: follow its progress
            with host.db.reading() as session:
                view = operations.master_data_import(session, actor=actor, import_id=import_id)
            advance(view.done, view.total)
            if view.ended:
                return view
            time.sleep(POLL_SECONDS)


def _problem(found: dict[str, object]) -> str:
    return f"{found['field']} {found['message']}" if found.get("field") else str(found["message"])


def summary_lines(name: str, view: operations.ImportView) -> list[str]:
    """The end of the bar in words: the same counts and refused rows (English messages) as the JSON line."""
    counts = f"{view.created} created, {view.updated} updated, {view.unchanged} unchanged"
    if view.status == "done":
        return [f"{name}: done, {counts}"]
    outcome = "nothing imported" if view.status == "refused" else f"{view.error}; before it {counts}"
    lines = [f"{name}: {view.status}, {view.refused_count} row(s) refused, {outcome}"]
    lines += [f"  line {row['line']}: " + "; ".join(_problem(p) for p in row["problems"])
              for row in view.refused_rows[:SAID_ROWS]]
    if view.refused_count > SAID_ROWS:
        lines.append(f"  ... and {view.refused_count - SAID_ROWS} more refused row(s)")
    return lines


@masterdata_group.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True, help="Environment (tenant).")
@click.option("--background", is_flag=True, help="Only queue the imports for the worker; print their ids.")
def import_command(kind: str, files: tuple[Path, ...], environment: str, background: bool) -> None:
    """Import CSV or JSON FILES of one KIND with a progress bar; prints one JSON line per file (its summary),
    exit status 1 if any had refused rows.

    Each changed record is audited with the operating-system user as `cli:<user>`."""
    # Not run_as: each file is its own unit of work, followed with a progress bar and answered on its own line.
    failed = False
    with acting(environment, None, system_name=f"cli:{getpass.getuser()}") as (host, actor):
        for path in files:
            with host.db.unit_of_work() as session:
                queued = operations.import_master_data(session, actor=actor, edge="cli", kind=kind,
                                                       data=path.read_bytes())
            if background:
                echo_json({"file": str(path), "kind": kind, "import_id": queued.id, "status": queued.status})
                continue
            view = _follow(host, actor, queued.id, path.name)
            for line in summary_lines(path.name, view):
                click.echo(line, err=True)
            echo_json({"file": str(path), "kind": kind, "import_id": view.id, "status": view.status,
                       "created": view.created, "updated": view.updated, "unchanged": view.unchanged,
                       "refused": view.refused_count, "rate": view.rate, "errors": list(view.refused),
                       "refused_rows": list(view.refused_rows), "error": view.error})
            failed = failed or view.status != "done"
    sys.exit(1 if failed else 0)


def register(group: click.Group) -> None:
    """Add `stroom masterdata import` to the CLI."""
    group.add_command(masterdata_group)
