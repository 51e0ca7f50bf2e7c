"""Task notifications configured per model: user task properties `notify` and `remind`.

`notify="assigned"` mails the task's candidates when the task is created; `remind="P2D"` (an ISO 8601
duration) queues a `reminder` job that mails them again if the task is still open by then.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.db import utcnow
from server.engine import UserTaskInfo
from server.jobs import service as jobs
from server.jobs.types import JobContext
from server.mail.context import NO_WORDS, ModelWords, task_context
from server.mail.recipients import Recipient, resolve
from server.mail.service import notify
from server.tasks.models import OPEN_STATUSES, HumanTask

if TYPE_CHECKING:
    from server.host import Host

_DURATION = re.compile(r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(text: str) -> dt.timedelta | None:
    """`P1D`, `PT1H30M`, `P2W` -> timedelta; None for anything else (years and months are ambiguous)."""
    match = _DURATION.match(text.strip().upper())
    if not match or text.strip().upper() in ("P", "PT"):
        return None
    weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return dt.timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)


def candidates(session: Session, task: HumanTask, *, default_language: str) -> list[Recipient]:
    """The people a task is for: its assignee, else its candidate users, groups and roles; each reads
    their own language, `default_language` (STROOM_MAIL_LANGUAGE) when they have none."""
    if task.assignee:
        specs = [f"user:{task.assignee}"]
    else:
        specs = ([f"user:{u}" for u in task.candidate_users] + [f"group:{g}" for g in task.candidate_groups]
                 + [f"role:{r}" for r in task.candidate_roles])
    return resolve(session, task.environment_id, specs, strict=False, default_language=default_language)


def task_created(session: Session, host: Host, *, task: HumanTask, properties: Mapping[str, str],
                 data: Mapping[str, Any] | None = None, words: ModelWords = NO_WORDS) -> None:
    """Queue the notifications a new task's model asks for (none when it has no `notify`/`remind`), each
    in its recipient's language with the model's `words` (task and process names)."""
    events = {e.strip().lower() for e in str(properties.get("notify") or "").split(",") if e.strip()}
    remind = parse_duration(str(properties.get("remind") or "")) if properties.get("remind") else None
    if "assigned" in events:
        context = task_context(task, host.settings.base_url, process_name=words.process_name)
        invoice = (data or {}).get("invoice")
        if isinstance(invoice, Mapping):
            context["invoice"] = {**context.get("invoice", {}), **invoice}
        notify(session, template="task_assigned", context=context, words=words,
               recipients=candidates(session, task, default_language=host.settings.mail_language),
               environment_id=task.environment_id, instance_id=task.instance_id, timezone=host.settings.timezone)
    if remind is not None:
        jobs.enqueue(session, "reminder", {"task_id": task.id, "template": "reminder"},
                     due_at=utcnow() + remind, environment_id=task.environment_id, instance_id=task.instance_id)


def tasks_opened(session: Session, host: Host, *, opened: Sequence[tuple[HumanTask, UserTaskInfo]],
                 words: ModelWords = NO_WORDS) -> None:
    """Queue the mail of the tasks one engine step opened (server.instances.persistence hands them over),
    each as its model's `notify`/`remind` properties ask."""
    for task, info in opened:
        task_created(session, host, task=task, properties=info.properties, data=info.data, words=words)


def send_reminder(ctx: JobContext, *, words: ModelWords = NO_WORDS) -> None:
    """The `reminder` job: mail the task's candidates if it is still open; otherwise nothing. The worker's
    handler (server.jobs.handlers, above server.instances) looks up the model's `words`."""
    task = ctx.session.get(HumanTask, int(ctx.job.payload["task_id"]))
    if task is None or task.status not in OPEN_STATUSES:
        return
    settings = ctx.host.settings
    notify(ctx.session, template=str(ctx.job.payload.get("template") or "reminder"),
           recipients=candidates(ctx.session, task, default_language=settings.mail_language),
           context=task_context(task, settings.base_url, process_name=words.process_name), words=words,
           environment_id=task.environment_id, instance_id=task.instance_id,
           actor=Actor.system(task.environment_id, "worker"), timezone=settings.timezone)
    return
