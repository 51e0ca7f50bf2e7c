"""`stroom audit verify` and `stroom audit export`."""
from __future__ import annotations

import sys

import click

from server.audit import export as exporting
from server.audit.query import AuditFilter
from server.audit.verify import verify
from server.auth import service as auth
from server.cli import echo_json
from server.host import open_host
from server.settings import load_settings


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--environment", help="Check only this environment's chain (default: every chain).")
def verify_command(environment: str | None) -> None:
    """Check the hash chain; prints the result as JSON and exits 1 at the first broken link."""
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            env_id = auth.get_environment(session, environment).id if environment else None
            result = verify(session, env_id)
    finally:
        host.db.dispose()
    echo_json(result.to_json())
    if not result.ok:
        sys.exit(1)


@audit_group.command("export")
@click.option("--environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True)
@click.option("--format", "fmt", type=click.Choice(sorted(exporting.FORMATS)), default="jsonl", show_default=True)
@click.option("--instance", "instance_id", type=int)
@click.option("--action", help="An action, or a prefix ending in '.' (admin.).")
def export_command(environment: str, fmt: str, instance_id: int | None, action: str | None) -> None:
    """Write the log (or a filtered part) to standard output, streamed."""
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            env_id = auth.get_environment(session, environment).id
        filters = AuditFilter(instance_id=instance_id, action=action)
        for chunk in exporting.export(host.db, env_id, filters, fmt):
            sys.stdout.write(chunk)
    finally:
        host.db.dispose()


def register(group: click.Group) -> None:
    group.add_command(audit_group)
