"""Core `stroom` commands: run, worker, db upgrade, deploy, start, users create, demo."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from server.auth import service as auth
from server.auth.actor import Actor
from server.cli import echo_json, lifecycle
from server.errors import InvalidInput
from server.host import Host, open_host
from server.migrate import is_new, upgrade
from server.operations import documents, models
from server.operations import instances as operations
from server.settings import load_settings

ENV_OPTION = click.option("--environment", "environment", default=auth.DEFAULT_ENVIRONMENT, show_default=True,
                          help="Environment (tenant) to act in; created on first use.")
MODEL_SUFFIXES = {".bpmn": "bpmn", ".dmn": "dmn", ".form": "forms", ".json": "forms"}


def host_from_env() -> Host:
    return open_host(load_settings())


@click.command("run")
@click.option("--host", "bind", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run_command(bind: str, port: int) -> None:
    """Start the web server (with the embedded worker unless STROOM_EMBEDDED_WORKER=false)."""
    from server.app import create_app

    app = create_app()
    host = app.extensions["stroom"]
    if is_new(host.db.engine):
        raise click.ClickException("the database has no tables yet: run `stroom db upgrade` first")
    start_embedded = getattr(sys.modules.get("server.jobs.worker"), "start_embedded", None)
    if host.settings.embedded_worker and start_embedded is None:
        try:
            from server.jobs.worker import start_embedded
        except ImportError:
            start_embedded = None
    if host.settings.embedded_worker and start_embedded is not None:
        start_embedded(host)
    if host.settings.inbox_dir is not None:
        from server.invoices.inbox import start_watcher

        start_watcher(host, host.settings.inbox_dir, submit=documents.submit_content)
    click.echo(f"Stroom listening on http://{bind}:{port}")
    lifecycle.exit_on_signals()
    try:
        app.run(host=bind, port=port, threaded=True, use_reloader=False)
    finally:
        lifecycle.end_children()


@click.command("worker")
def worker_command() -> None:
    """Run background jobs (timers, e-mail, retries) until SIGTERM."""
    try:
        from server.jobs.worker import run_forever
    except ImportError:
        raise click.ClickException("the job worker is not available in this build") from None
    try:
        run_forever(host_from_env())
    finally:
        lifecycle.end_children()


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    host = host_from_env()
    upgrade(host.db.engine, audit_key=host.audit_key)
    click.echo("database is up to date")


def collect_model_files(paths: tuple[str, ...]) -> dict[str, dict[str, bytes]]:
    """BPMN, DMN and form files from the given files and folders, by kind."""
    found: dict[str, dict[str, bytes]] = {"bpmn": {}, "dmn": {}, "forms": {}}
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InvalidInput(f"{raw}: no such file or folder")
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            kind = MODEL_SUFFIXES.get(file.suffix.lower())
            if kind:
                found[kind][file.name] = file.read_bytes()
    if not found["bpmn"]:
        raise InvalidInput("no .bpmn file among the given paths")
    return found


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True)
@click.option("--key", help="Model key (default: the BPMN file name without .bpmn).")
@ENV_OPTION
def deploy_command(paths: tuple[str, ...], key: str | None, environment: str) -> None:
    """Deploy BPMN + DMN + form files as a new version of a model key."""
    files = collect_model_files(paths)
    host = host_from_env()
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
        model_key = key or Path(min(files["bpmn"])).stem
        deployed = models.deploy(session, host, actor=Actor.system(env.id, "cli"), key=model_key,
                                 bpmn=files["bpmn"], dmn=files["dmn"], forms=files["forms"])
    echo_json({"key": deployed.key, "version": deployed.version, "process_id": deployed.process_id,
               "checksum": deployed.checksum})


@click.command("start")
@click.argument("model_key")
@click.option("--data", "data_json", default="{}", help="Initial process data as a JSON object.")
@click.option("--business-key")
@ENV_OPTION
def start_command(model_key: str, data_json: str, business_key: str | None, environment: str) -> None:
    """Start an instance of the newest version of MODEL_KEY; prints its id and status."""
    try:
        data = json.loads(data_json)
    except ValueError as exc:
        raise InvalidInput(f"--data is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("--data must be a JSON object")
    host = host_from_env()
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
        started = operations.start_instance(session, host, actor=Actor.system(env.id, "cli"), key=model_key,
                                            data=data, business_key=business_key)
        echo_json(started.to_json())


@click.group("users")
def users_group() -> None:
    """Users."""


@users_group.command("create")
@click.argument("login")
@ENV_OPTION
@click.option("--role", "roles", multiple=True, default=("user",), show_default=True)
@click.option("--group", "groups", multiple=True)
@click.option("--email", default="")
@click.option("--name", "display_name", default="")
@click.option("--language", default="en", type=click.Choice(["en", "nl"]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(login: str, environment: str, roles: tuple[str, ...], groups: tuple[str, ...], email: str,
                 display_name: str, language: str, password_stdin: bool) -> None:
    """Create a user with roles and groups."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    host = host_from_env()
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
        user = auth.create_user(session, env.id, login, actor=Actor.system(env.id, "cli"), password=password,
                                roles=roles, groups=groups, email=email, display_name=display_name,
                                language=language)
        echo_json({"id": user.id, "login": user.login, "environment": environment, "roles": list(roles),
                   "groups": list(groups)})


@click.command("demo")
@click.option("--if-new", is_flag=True, help="Only when the database holds no environment yet.")
def demo_command(if_new: bool) -> None:
    """Load demo users, the shipped models and demo master data."""
    from server.demo import load

    host = host_from_env()
    summary: dict[str, Any] = load(host, only_if_new=if_new)
    echo_json(summary)


def register(group: click.Group) -> None:
    for command in (run_command, worker_command, db_group, deploy_command, start_command, users_group,
                    demo_command):
        group.add_command(command)
