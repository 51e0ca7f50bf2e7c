"""The `stroom` command, an edge like the API and the pages: each module here contributes click commands; this one wires them."""
from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import click

from server.errors import DomainError
from server.settings import SettingsError, load_settings

# Modules that expose `register(group: click.Group) -> None`; add yours here.
COMMAND_MODULES = (
    "server.cli.core",
    "server.cli.auth",
    "server.cli.decisions",
    "server.cli.invoices",
    "server.cli.jobs",
    "server.cli.masterdata",
    "server.cli.ingest",
    "server.cli.audit",
    "server.cli.instances",
    "server.cli.batches",
    "server.cli.incidents",
    "server.cli.tasks",
    "server.cli.sandbox",
)


class StroomGroup(click.Group):
    """Turns domain and settings errors into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DomainError, SettingsError) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=StroomGroup)
def cli() -> None:
    """Stroom: BPMN workflow server for e-invoice processing."""


def echo_json(value: Any) -> None:
    """Print one JSON document on one line (machine-readable CLI output)."""
    click.echo(json.dumps(value, default=str, ensure_ascii=False))


def build() -> click.Group:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(cli)
    return cli


def main() -> None:
    build()(prog_name="stroom")


__all__ = ["cli", "echo_json", "load_settings", "main"]
