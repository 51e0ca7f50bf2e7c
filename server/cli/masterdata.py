"""`stroom masterdata import KIND FILE...`: load master data from CSV files, each all or nothing."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from server.auth import service as auth
from server.auth.actor import Actor
from server.cli import echo_json
from server.host import open_host
from server.masterdata.csv_import import KINDS, import_csv
from server.settings import load_settings


@click.group("masterdata")
def masterdata_group() -> None:
    """Master data: suppliers, bank accounts, administrations, orders, receipts, matching rules."""


@masterdata_group.command("import")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True, help="Environment (tenant).")
def import_command(kind: str, files: tuple[Path, ...], environment: str) -> None:
    """Import CSV FILES of one KIND; prints one JSON line per file, exit status 1 if any had errors.

    Each changed record is audited with the operating-system user as `cli:<user>`."""
    host = open_host(load_settings())
    failed = False
    try:
        for path in files:
            with host.db.unit_of_work() as session:
                env_id = auth.get_environment(session, environment).id
                actor = Actor.system(env_id, f"cli:{getpass.getuser()}")
                result = import_csv(session, actor=actor, edge="cli", kind=kind, data=path.read_bytes())
            echo_json({"file": str(path), "kind": kind, "created": result.created, "updated": result.updated,
                       "unchanged": result.unchanged, "errors": list(result.errors)})  # fmt: skip
            failed = failed or not result.ok
    finally:
        host.db.dispose()
    sys.exit(1 if failed else 0)


def register(group: click.Group) -> None:
    """Add `stroom masterdata` to the CLI."""
    group.add_command(masterdata_group)
