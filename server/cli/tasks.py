"""`stroom tasks ...`: list, show and act on human tasks; each command calls one task verb and prints its view."""
from __future__ import annotations

import json
from typing import Any

import click

from server.cli.acting import ENV, Work, run_as
from server.errors import InvalidInput
from server.operations import tasks as ops
from server.tasks import listing

EDGE = "cli"
AS = click.option("--as", "login", help="Act as this user (default: the system actor 'cli').")
TASK = click.argument("task_id", type=int)
DATA = click.option("--data", "data_json", default="{}", help="Form data as a JSON object.")


def _run(environment: str, login: str | None, verb: Work) -> None:
    run_as(environment, login, verb)


def _data(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"--data is not JSON: {exc.msg}", code="invalid_form_data") from None
    if not isinstance(data, dict):
        raise InvalidInput("--data must be a JSON object", code="invalid_form_data")
    return data


@click.group("tasks")
def tasks_group() -> None:
    """Human tasks: list, show, claim, complete, approve, disapprove, comment, delegate, reassign."""


@tasks_group.command("list")
@click.option("--status", type=click.Choice(listing.STATUS_FILTERS), default="open", show_default=True)
@click.option("--mine", is_flag=True, help="Only tasks assigned to the --as user.")
@click.option("--process")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, listing.MAX_PER_PAGE))
@ENV
@AS
def list_command(status: str, mine: bool, process: str | None, limit: int, environment: str,
                 login: str | None) -> None:
    """The tasks the caller may see, like GET /api/v1/tasks."""
    query = listing.TaskQuery(status=status, mine=mine, process=process, per_page=limit)
    _run(environment, login, lambda s, h, a: ops.list_tasks(s, actor=a, query=query))


@tasks_group.command("show")
@TASK
@ENV
@AS
def show_command(task_id: int, environment: str, login: str | None) -> None:
    """The task with its form, data (secrets masked), invoice and history, like GET /api/v1/tasks/ID."""
    _run(environment, login, lambda s, h, a: ops.show(s, h, actor=a, task_id=task_id))


@tasks_group.command("claim")
@TASK
@ENV
@AS
def claim_command(task_id: int, environment: str, login: str | None) -> None:
    """Make the --as user the assignee."""
    _run(environment, login, lambda s, h, a: ops.claim(s, actor=a, task_id=task_id, edge=EDGE))


@tasks_group.command("unclaim")
@TASK
@ENV
@AS
def unclaim_command(task_id: int, environment: str, login: str | None) -> None:
    """Give a claimed task back to its candidates."""
    _run(environment, login, lambda s, h, a: ops.unclaim(s, actor=a, task_id=task_id, edge=EDGE))


@tasks_group.command("complete")
@TASK
@DATA
@ENV
@AS
def complete_command(task_id: int, data_json: str, environment: str, login: str | None) -> None:
    """Complete with form data, checked against the task's form."""
    data = _data(data_json)
    _run(environment, login, lambda s, h, a: ops.complete(s, h, actor=a, task_id=task_id, data=data, edge=EDGE))


@tasks_group.command("resolve")
@TASK
@DATA
@ENV
@AS
def resolve_command(task_id: int, data_json: str, environment: str, login: str | None) -> None:
    """The delegate hands the task back to its owner with their data."""
    data = _data(data_json)
    _run(environment, login, lambda s, h, a: ops.resolve(s, h, actor=a, task_id=task_id, data=data, edge=EDGE))


@tasks_group.command("approve")
@TASK
@click.option("--comment", help="An internal comment.")
@DATA
@ENV
@AS
def approve_command(task_id: int, comment: str | None, data_json: str, environment: str, login: str | None) -> None:
    """Approve (an approval task)."""
    data = _data(data_json)
    _run(environment, login, lambda s, h, a: ops.approve(s, h, actor=a, task_id=task_id, comment=comment,
                                                         data=data, edge=EDGE))


@tasks_group.command("disapprove")
@TASK
@click.option("--reason", required=True, help="Why; the supplier reads it.")
@DATA
@ENV
@AS
def disapprove_command(task_id: int, reason: str, data_json: str, environment: str, login: str | None) -> None:
    """Disapprove (an approval task) with a reason."""
    data = _data(data_json)
    _run(environment, login, lambda s, h, a: ops.disapprove(s, h, actor=a, task_id=task_id, reason=reason,
                                                            data=data, edge=EDGE))


@tasks_group.command("comment")
@TASK
@click.argument("text")
@ENV
@AS
def comment_command(task_id: int, text: str, environment: str, login: str | None) -> None:
    """Add a comment without completing the task."""
    _run(environment, login, lambda s, h, a: ops.comment(s, actor=a, task_id=task_id, text=text, edge=EDGE))


@tasks_group.command("delegate")
@TASK
@click.option("--to", "to", required=True, help="The colleague's login.")
@click.option("--to-environment", "to_environment", help="A partner environment.")
@ENV
@AS
def delegate_command(task_id: int, to: str, to_environment: str | None, environment: str,
                     login: str | None) -> None:
    """Delegate to a colleague (or a partner environment's user); the --as user stays the owner."""
    _run(environment, login, lambda s, h, a: ops.delegate(s, actor=a, task_id=task_id, to=to,
                                                          environment=to_environment, edge=EDGE))


@tasks_group.command("reassign")
@TASK
@click.option("--assignee")
@click.option("--user", "users", multiple=True)
@click.option("--group", "groups", multiple=True)
@click.option("--role", "roles", multiple=True)
@click.option("--reason", required=True, help="Why (kept in the audit log).")
@ENV
@AS
def reassign_command(task_id: int, assignee: str | None, users: tuple[str, ...], groups: tuple[str, ...],
                     roles: tuple[str, ...], reason: str, environment: str, login: str | None) -> None:
    """Give an open task to another user, or to candidate users, groups or roles (admins)."""
    _run(environment, login, lambda s, h, a: ops.reassign(s, h, actor=a, task_id=task_id, reason=reason,
                                                          assignee=assignee, users=users, groups=groups,
                                                          roles=roles, edge=EDGE))


def register(group: click.Group) -> None:
    group.add_command(tasks_group)
