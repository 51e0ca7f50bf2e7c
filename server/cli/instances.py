"""`stroom instances ...`: list and show instances, and the administrative interventions."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.cli import echo_json
from server.cli.acting import ENV, Work, acting, run_as
from server.errors import InvalidInput
from server.host import Host
from server.instances import view as views
from server.operations import instances as operations
from server.operations import jobs as job_ops
from server.operations import migration, repair
from server.operations import tasks as task_ops

AS = click.option("--as", "login", help="Act as this admin user (default: the system actor 'cli').")
REASON = click.option("--reason", required=True, help="Why (kept in the audit log).")


def _instance_if_id(session: Session, host: Host, actor: Actor, result: Any) -> Any:
    """An operation that answers an instance id is shown as that instance's view."""
    return views.instance_view(session, host, actor=actor, instance_id=result) if isinstance(result, int) else result


def _run(environment: str, login: str | None, work: Work) -> None:
    run_as(environment, login, work, show=_instance_if_id)


def run_operation(environment: str, login: str | None, work: Work) -> None:
    """Run one operation as `login` (default: the system actor 'cli') and print its JSON answer."""
    _run(environment, login, work)


@click.group("instances")
def instances_group() -> None:
    """Process instances and their administration."""


@instances_group.command("list")
@ENV
@click.option("--status", type=click.Choice(views.STATUSES))
@click.option("--model")
@click.option("--limit", default=50, show_default=True, type=int)
def list_command(environment: str, status: str | None, model: str | None, limit: int) -> None:
    """The newest instances, one JSON document."""
    filters = views.InstanceFilter(status=status, model_key=model)
    _run(environment, None, lambda s, h, a: {"items": views.list_instances(s, a.environment_id, filters,
                                                                            limit=limit)[0]})


@instances_group.command("show")
@click.argument("instance_id", type=int)
@ENV
def show_command(instance_id: int, environment: str) -> None:
    """Status, data (secrets masked), element states, open tasks, incidents and interventions."""
    _run(environment, None, lambda s, h, a: views.instance_view(s, h, actor=a, instance_id=instance_id))


def _simple(name: str, operation: Callable[..., Any], doc: str) -> None:
    @instances_group.command(name, help=doc)
    @click.argument("instance_id", type=int)
    @REASON
    @ENV
    @AS
    def command(instance_id: int, reason: str, environment: str, login: str | None) -> None:
        _run(environment, login, lambda s, h, a: operation(s, h, actor=a, instance_id=instance_id, reason=reason))


_simple("suspend", operations.suspend, "Suspend an instance: no step runs, no timer fires.")
_simple("resume", operations.resume, "Resume a suspended instance.")
_simple("terminate", operations.terminate, "Terminate an instance with a reason.")


@instances_group.command("retry")
@click.argument("instance_id", type=int)
@click.option("--incident", "incident_id", type=int, help="The incident to retry (default: the only open one).")
@REASON
@ENV
@AS
def retry_command(instance_id: int, incident_id: int | None, reason: str, environment: str,
                  login: str | None) -> None:
    """Retry a failed service step."""
    _run(environment, login, lambda s, h, a: operations.retry(s, h, actor=a, instance_id=instance_id,
                                                              reason=reason, incident_id=incident_id))


@instances_group.command("move")
@click.argument("instance_id", type=int)
@click.option("--to", "to_element", required=True, help="Target element id.")
@click.option("--from", "from_element", help="Element to move from (default: the only open one).")
@REASON
@ENV
@AS
def move_command(instance_id: int, to_element: str, from_element: str | None, reason: str, environment: str,
                 login: str | None) -> None:
    """Move the token to another step (forward skips the steps between; back re-opens)."""
    _run(environment, login, lambda s, h, a: operations.move(s, h, actor=a, instance_id=instance_id,
                                                             reason=reason, to_element=to_element,
                                                             from_element=from_element))


@instances_group.command("restart-step")
@click.argument("instance_id", type=int)
@click.option("--element", "element_id", required=True)
@REASON
@ENV
@AS
def restart_step_command(instance_id: int, element_id: str, reason: str, environment: str,
                         login: str | None) -> None:
    """Re-open a completed or failed step of a live instance."""
    _run(environment, login, lambda s, h, a: operations.restart_step(s, h, actor=a, instance_id=instance_id,
                                                                     reason=reason, element_id=element_id))


@instances_group.command("restart")
@click.argument("instance_id", type=int)
@click.option("--element", "element_id", required=True)
@REASON
@ENV
@AS
def restart_command(instance_id: int, element_id: str, reason: str, environment: str, login: str | None) -> None:
    """Run a completed or terminated instance again from a step, with its last data."""
    _run(environment, login, lambda s, h, a: operations.restart(s, h, actor=a, instance_id=instance_id,
                                                                reason=reason, element_id=element_id))


@instances_group.command("set-variables")
@click.argument("instance_id", type=int)
@click.option("--file", "source", required=True, type=click.File("r", encoding="utf-8"),
              help="A JSON object: the new variables ('-' reads standard input). Masked secrets stay as they are.")
@REASON
@ENV
@AS
def set_variables_command(instance_id: int, source: Any, reason: str, environment: str, login: str | None) -> None:
    """Repair an instance's data (checked against the model's declared fields); retry its incident next."""
    variables = repair.variables_from_text(source.read())
    _run(environment, login, lambda s, h, a: repair.set_variables(s, h, actor=a, instance_id=instance_id,
                                                                  variables=variables, reason=reason))


@instances_group.command("jobs")
@click.argument("instance_id", type=int)
@ENV
def jobs_command(instance_id: int, environment: str) -> None:
    """The instance's timers, reminders, retries and mails, one JSON document."""
    _run(environment, None, lambda s, h, a: {"items": [j.to_json() for j in job_ops.instance_jobs(
        s, actor=a, instance_id=instance_id)]})


@instances_group.command("reassign")
@click.argument("task_id", type=int)
@click.option("--assignee")
@click.option("--user", "users", multiple=True)
@click.option("--group", "groups", multiple=True)
@click.option("--role", "roles", multiple=True)
@REASON
@ENV
@AS
def reassign_command(task_id: int, assignee: str | None, users: tuple[str, ...], groups: tuple[str, ...],
                     roles: tuple[str, ...], reason: str, environment: str, login: str | None) -> None:
    """Give an open task to another user, or to candidate users, groups or roles."""
    _run(environment, login, lambda s, h, a: task_ops.reassign(s, h, actor=a, task_id=task_id, reason=reason,
                                                               assignee=assignee, users=users, groups=groups,
                                                               roles=roles, edge="cli").instance_id)


def _mappings(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        old, _, new = pair.partition("=")
        if not old.strip() or not new.strip():
            raise InvalidInput(f"--map {pair!r} must be OLD=NEW (element ids)", code="invalid_input",
                               details=[{"field": "map"}])
        mapping[old.strip()] = new.strip()
    return mapping


@instances_group.command("migrate")
@click.option("--model", "model_key", required=True, help="The model key.")
@click.option("--from-version", "source", required=True, type=int, help="The version the instances run on.")
@click.option("--to-version", "target", required=True, type=int, help="The version to move them to.")
@click.option("--map", "maps", multiple=True, metavar="OLD=NEW",
              help="Map an element to another of the target (elements with the same id map themselves).")
@click.option("--instance", "instance_ids", multiple=True, type=int, help="Only these instances (default: all).")
@click.option("--waiting-at", help="Only the instances waiting at this element.")
@click.option("--dry-run", is_flag=True, help="Only say, per instance, whether it can move and why not.")
@click.option("--reason", help="Why (kept in the audit log).")
@ENV
@AS
def migrate_command(model_key: str, source: int, target: int, maps: tuple[str, ...], instance_ids: tuple[int, ...],
                    waiting_at: str | None, dry_run: bool, reason: str | None, environment: str,
                    login: str | None) -> None:
    """Move running instances to another version of their model (each in its own transaction)."""
    request = migration.PlanRequest(model_key, source, target, _mappings(maps))
    selection = migration.Selection(tuple(dict.fromkeys(instance_ids)), waiting_at)
    with acting(environment, login) as (host, actor):
        if dry_run:
            with host.db.unit_of_work() as session:
                report = migration.validate_migration(session, host, actor=actor, request=request,
                                                      selection=selection)
        else:
            report = migration.execute_migration(host, actor=actor, request=request, selection=selection,
                                                 edge="cli", reason=reason)
    echo_json(report.to_json())


def register(group: click.Group) -> None:
    group.add_command(instances_group)
