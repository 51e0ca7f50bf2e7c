"""`stroom jobs [--failed] [--retry ID]`, `stroom jobs fire ID`, `stroom jobs set-due ID WHEN` and
`stroom mail test ADDRESS`."""
from __future__ import annotations

import click

from server.auth import service as auth
from server.auth.actor import Actor
from server.cli import echo_json
from server.cli.core import ENV_OPTION, host_from_env
from server.cli.instances import AS, ENV, run_operation
from server.jobs import service as jobs
from server.mail.service import queue_mail
from server.operations import jobs as job_ops


def _short(text: str | None, width: int = 70) -> str:
    last = (text or "").strip().splitlines()[-1:] or [""]
    return last[0] if len(last[0]) <= width else last[0][:width - 3] + "..."


@click.group("jobs", invoke_without_command=True)
@click.option("--failed", is_flag=True, help="Only jobs that gave up after their last attempt.")
@click.option("--retry", "retry_id", type=int, help="Give a failed job a fresh set of attempts.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document per job.")
@click.option("--limit", default=200, show_default=True)
@click.pass_context
def jobs_command(ctx: click.Context, failed: bool, retry_id: int | None, as_json: bool, limit: int) -> None:
    """List pending, running and failed jobs with their attempts and last error (or fire one, or move it)."""
    if ctx.invoked_subcommand is not None:
        return
    host = host_from_env()
    with host.db.unit_of_work() as session:
        if retry_id is not None:
            job = jobs.requeue(session, retry_id)
            echo_json({"id": job.id, "status": job.status})
            return
        statuses = ("failed",) if failed else ("pending", "running", "failed")
        rows = jobs.list_jobs(session, statuses=statuses, limit=limit)
    if as_json:
        for row in rows:
            echo_json(row.to_json())
        return
    click.echo(f"{'id':>7}  {'kind':<13} {'status':<8} {'tries':>5}  {'due (UTC)':<19}  last error")
    for row in rows:
        click.echo(f"{row.id:>7}  {row.kind:<13} {row.status:<8} {row.attempts:>2}/{row.max_attempts:<2}  "
                   f"{row.due_at:%Y-%m-%d %H:%M:%S}  {_short(row.last_error)}")
    if not rows:
        click.echo("no failed jobs" if failed else "no pending, running or failed jobs")


REASON = click.option("--reason", help="Why (kept in the audit log).")


@jobs_command.command("fire")
@click.argument("job_id", type=int)
@REASON
@ENV
@AS
def fire_command(job_id: int, reason: str | None, environment: str, login: str | None) -> None:
    """Make a pending job (a timer, a reminder) due now; the worker runs it at its next poll."""
    run_operation(environment, login, lambda s, h, a: job_ops.fire(s, actor=a, job_id=job_id, reason=reason))


@jobs_command.command("set-due")
@click.argument("job_id", type=int)
@click.argument("when")
@REASON
@ENV
@AS
def set_due_command(job_id: int, when: str, reason: str | None, environment: str, login: str | None) -> None:
    """Let a pending job run at WHEN (ISO 8601, e.g. 2026-12-03T09:00:00+01:00; UTC without a zone)."""
    run_operation(environment, login, lambda s, h, a: job_ops.set_due(s, actor=a, job_id=job_id, due_at=when,
                                                                      reason=reason))


@click.group("mail")
def mail_group() -> None:
    """E-mail."""


@mail_group.command("test")
@click.argument("address")
@click.option("--language", default="en", type=click.Choice(["en", "nl"]), show_default=True)
@ENV_OPTION
def mail_test(address: str, language: str, environment: str) -> None:
    """Queue a test message to ADDRESS (delivered by the server's worker or `stroom worker`); prints the job."""
    host = host_from_env()
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, environment)
        job = queue_mail(session, template="test", to=[address], language=language,
                         context={"base_url": host.settings.base_url}, environment_id=env.id,
                         actor=Actor.system(env.id, "cli"))
    transport = "SMTP" if host.settings.smtp_url else f"the outbox {host.settings.outbox}"
    echo_json({"job": job.id, "to": address, "delivery": transport})


def register(group: click.Group) -> None:
    group.add_command(jobs_command)
    group.add_command(mail_group)
