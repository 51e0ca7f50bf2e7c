"""`stroom audit verify`, `stroom audit checkpoint` and `stroom audit export`: the verbs of
server.operations.audit the API calls too, as the system actor 'cli'."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from server.audit import checkpoints
from server.audit import export as exporting
from server.audit.query import AuditFilter
from server.auth import service as auth
from server.cli.acting import acting, run_as
from server.operations import audit as audit_operations


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
    if checkpoint_file is not None:
        checkpoint = checkpoints.parse(checkpoint_file.read_text())
        # The checkpoint names its environment, so --environment plays no part (the system acts across them).
        result = run_as(None, None, lambda s, h, a: audit_operations.verify_from_checkpoint(
            s, actor=a, key=h.audit_key, checkpoint=checkpoint, since=since))
    else:
        result = run_as(environment, None, lambda s, h, a: audit_operations.verify_chain(
            s, actor=a, key=h.audit_key, every_environment=environment is None))
    if not result.ok:
        sys.exit(1)


@audit_group.command("checkpoint")
@click.option("--environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True)
def checkpoint_command(environment: str) -> None:
    """Print a signed checkpoint of the environment's chain head as JSON (keep it outside Stroom)."""
    run_as(environment, None, lambda s, h, a: audit_operations.take_checkpoint(s, actor=a, key=h.audit_key))


@audit_group.command("export")
@click.option("--environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True)
@click.option("--format", "fmt", type=click.Choice(sorted(exporting.FORMATS)), default="jsonl", show_default=True)
@click.option("--instance", "instance_id", type=int)
@click.option("--action", help="An action, or a prefix ending in '.' (admin.).")
def export_command(environment: str, fmt: str, instance_id: int | None, action: str | None) -> None:
    """Write the log (or a filtered part) to standard output, streamed."""
    # Not run_as: the export is streamed as it is read in batches, not answered as one JSON line.
    with acting(environment, None) as (host, actor):
        filters = AuditFilter(instance_id=instance_id, action=action)
        for chunk in audit_operations.export_log(host.db, actor=actor, filters=filters, fmt=fmt):
            sys.stdout.write(chunk)


def register(group: click.Group) -> None:
    group.add_command(audit_group)
