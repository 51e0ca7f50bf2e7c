"""`stroom audit verify`, `stroom audit checkpoint` and `stroom audit export`."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from server.audit import checkpoints
from server.audit import export as exporting
from server.audit.query import AuditFilter
from server.audit.verify import VerifyResult
from server.auth import service as auth
from server.auth.actor import Actor
from server.cli import echo_json
from server.host import open_host
from server.operations import audit as audit_operations
from server.settings import load_settings


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--environment", help="Check only this environment's chain (default: every chain).")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A checkpoint from `stroom audit checkpoint`: also prove nothing up to it changed.")
@click.option("--since-checkpoint", "since", is_flag=True,
              help="With --checkpoint: walk only the rows written after it (incremental; the time grows "
                   "with the new rows, not with the log).")
def verify_command(environment: str | None, checkpoint_file: Path | None, since: bool) -> None:
    """Recompute the keyed chain; prints the result as JSON and exits 1 at the first broken link."""
    if since and checkpoint_file is None:
        raise click.UsageError("--since-checkpoint needs --checkpoint FILE")
    checkpoint = checkpoints.parse(checkpoint_file.read_text()) if checkpoint_file else None
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            if checkpoint is not None:
                check = checkpoints.verify_since if since else checkpoints.verify_against
                result: checkpoints.CheckpointResult | VerifyResult = check(session, checkpoint, key=host.audit_key)
            else:
                env_id = auth.get_environment(session, environment).id if environment else 0
                result = audit_operations.verify_chain(session, actor=Actor.system(env_id), key=host.audit_key,
                                                       every_environment=environment is None)
    finally:
        host.db.dispose()
    echo_json(result.to_json())
    if not result.ok:
        sys.exit(1)


@audit_group.command("checkpoint")
@click.option("--environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True)
def checkpoint_command(environment: str) -> None:
    """Print a signed checkpoint of the environment's chain head as JSON (keep it outside Stroom)."""
    host = open_host(load_settings())
    try:
        with host.db.unit_of_work() as session:
            checkpoint = checkpoints.take(session, auth.get_environment(session, environment).id,
                                          key=host.audit_key)
    finally:
        host.db.dispose()
    echo_json(checkpoint)


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
