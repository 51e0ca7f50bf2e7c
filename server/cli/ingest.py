"""`stroom ingest FILE...` and `stroom inbox scan`: receive documents from the command line."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from server.auth import service as auth
from server.auth.actor import Actor
from server.cli import echo_json
from server.cli.acting import acting
from server.cli.core import ENV_OPTION, host_from_env
from server.invoices.inbox import scan_once
from server.invoices.receiving import spool
from server.operations import documents


@click.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--sender", help="E-mail address of the sender (for the conversion task's reply).")
@ENV_OPTION
def ingest_command(files: tuple[Path, ...], sender: str | None, environment: str) -> None:
    """Store and process documents like POST /api/v1/invoices; one JSON line each, exit 1 if any is refused."""
    host = host_from_env()
    with host.db.unit_of_work() as session:
        actor = Actor.system(auth.ensure_environment(session, environment).id, "cli")
    all_accepted = True
    for path in files:
        with path.open("rb") as file, spool(file, limit=host.settings.max_document_bytes) as body:
            result = documents.submit_document(host, actor=actor, body=body, filename=path.name, source="cli",
                                               sender=sender)
        all_accepted &= result.status == "accepted"
        echo_json({"file": str(path), **result.to_dict()})
    sys.exit(0 if all_accepted else 1)


@click.group("inbox")
def inbox_group() -> None:
    """The watched folder, and documents left unprocessed."""


@inbox_group.command("scan")
@ENV_OPTION
def inbox_scan(environment: str) -> None:
    """Process the files in STROOM_INBOX_DIR once."""
    host = host_from_env()
    if host.settings.inbox_dir is None:
        raise click.ClickException("STROOM_INBOX_DIR is not set")
    host.settings.inbox_dir.mkdir(parents=True, exist_ok=True)
    for result in scan_once(host, host.settings.inbox_dir, environment=environment, settle_seconds=0,
                            submit=documents.submit_content):
        echo_json(result.to_dict())


@inbox_group.command("process")
@click.argument("document_id", type=int)
@ENV_OPTION
@click.option("--as", "login", help="Act as this user (default: the system actor 'cli').")
def inbox_process(document_id: int, environment: str, login: str | None) -> None:
    """Process a document left `received` (its process died, or processing failed), as the inbox's
    "Process again" and POST /api/v1/documents/{id}/process do; one JSON line, exit 1 unless accepted."""
    with acting(environment, login) as (host, actor):
        result = documents.process_document(host, actor=actor, document_id=document_id)
    echo_json(result.to_dict())
    sys.exit(0 if result.status == "accepted" else 1)


def register(group: click.Group) -> None:
    group.add_command(ingest_command)
    group.add_command(inbox_group)
