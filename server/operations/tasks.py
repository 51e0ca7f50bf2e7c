"""Task verbs: list, show, claim, unclaim, complete, approve, disapprove, comment, delegate, resolve, reassign.

Each checks permission and four eyes, validates, changes state (flush only), writes its audit entry
(naming the edge it came through: `api`, `web` or `cli`) and returns a masked `TaskView`. The API, the
task pages and `stroom tasks` call these and nothing else.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.permissions import require
from server.errors import Conflict, InvalidInput, NotFound
from server.host import Host
from server.instances import wording
from server.mail.context import task_context
from server.mail.recipients import resolve as recipients
from server.mail.service import notify
from server.operations import invoice_review
from server.operations.task_views import TaskDetailView, TaskListView, TaskView, detail_view, list_view, view
from server.tasks import access, assignment, listing
from server.tasks import service as tasks
from server.tasks.models import OPEN_STATUSES, HumanTask

REASON_MAX = 2000
__all__ = ["TaskDetailView", "TaskListView", "TaskView", "approve", "claim", "comment", "complete", "counts", "delegate",
           "disapprove", "find", "list_tasks", "process_keys", "reassign", "resolve", "show", "unclaim"]


def _edge(edge: str) -> str:
    if edge not in tasks.EDGES:
        raise ValueError(f"unknown edge {edge!r}")  # a programming error in an edge, not user input
    return edge


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("an intervention needs a reason", code="reason_required")
    if len(text) > REASON_MAX:
        raise InvalidInput(f"the reason is longer than {REASON_MAX} characters", code="reason_too_long")
    return text


def list_tasks(session: Session, *, actor: Actor, query: listing.TaskQuery) -> TaskListView:
    """One page of the tasks the caller may see, with the total (capped, then `total_exact` is false)."""
    require(actor, "tasks.read")
    return list_view(listing.list_tasks(session, actor, query), actor)


def counts(session: Session, *, actor: Actor) -> dict[str, int]:
    """Open, mine, my groups' and done tasks the caller can see (each counted up to the list's cap)."""
    require(actor, "tasks.read")
    return listing.counts(session, actor)


def process_keys(session: Session, *, actor: Actor) -> list[str]:
    """Process keys that have tasks in the caller's environment (the list filter's choices)."""
    require(actor, "tasks.read")
    return listing.process_keys(session, actor.environment_id)


def find(session: Session, *, actor: Actor, task_id: int) -> TaskView:
    """A task the caller may see (NotFound otherwise, also for other environments)."""
    require(actor, "tasks.read")
    return view(access.get_task(session, actor, task_id))


def show(session: Session, host: Host, *, actor: Actor, task_id: int, review: bool = True) -> TaskDetailView:
    """The task with its form, the data it shows (masked), the invoice and its review, the decisions its
    instance took, its history and whether the caller may act on it (false for someone its four-eyes rule
    keeps off it); NotFound if they may not see it. `review=False` skips the invoice review and the decisions
    (a caller that only needs the form)."""
    require(actor, "tasks.read")
    detail = detail_view(session, host, actor=actor, task_id=task_id)
    if not review:
        return detail
    found = invoice_review.for_task(session, actor=actor, task_id=task_id)
    return dataclasses.replace(detail, review=found.review, decisions=found.decisions)


def claim(session: Session, *, actor: Actor, task_id: int, edge: str) -> TaskView:
    """Make the caller the assignee; Conflict (naming the holder) if someone else holds it."""
    require(actor, "tasks.act")
    return view(tasks.claim(session, actor=actor, task_id=task_id, edge=_edge(edge)))


def unclaim(session: Session, *, actor: Actor, task_id: int, edge: str) -> TaskView:
    """Give a claimed task back to its candidates (the assignee or an admin)."""
    require(actor, "tasks.act")
    return view(tasks.unclaim(session, actor=actor, task_id=task_id, edge=_edge(edge)))


def complete(session: Session, host: Host, *, actor: Actor, task_id: int, data: Mapping[str, Any],
             edge: str) -> TaskView:
    """Complete with form data (checked against the task's form, hidden fields neither required nor kept);
    a delegate's completion hands the task back to its owner unless the model lets the delegate decide."""
    require(actor, "tasks.act")
    return view(tasks.complete(session, host, actor=actor, task_id=task_id, data=data, edge=_edge(edge)))


def approve(session: Session, host: Host, *, actor: Actor, task_id: int, comment: str | None = None,
            data: Mapping[str, Any] | None = None, edge: str) -> TaskView:
    """Complete an approval task with `approved=True` and an optional internal comment."""
    require(actor, "tasks.act")
    return view(tasks.approve(session, host, actor=actor, task_id=task_id, comment=comment, data=data,
                              edge=_edge(edge)))


def disapprove(session: Session, host: Host, *, actor: Actor, task_id: int, reason: str | None,
               data: Mapping[str, Any] | None = None, edge: str) -> TaskView:
    """Complete an approval task with `approved=False`; the reason (what the supplier reads) is required,
    a `comment` in the data stays internal."""
    require(actor, "tasks.act")
    return view(tasks.disapprove(session, host, actor=actor, task_id=task_id, reason=reason, data=data,
                                 edge=_edge(edge)))


def comment(session: Session, *, actor: Actor, task_id: int, text: str | None, edge: str) -> TaskView:
    """Add a comment to an open task without completing it."""
    require(actor, "tasks.act")
    return view(tasks.comment(session, actor=actor, task_id=task_id, text=text or "", edge=_edge(edge)))


def delegate(session: Session, *, actor: Actor, task_id: int, to: str | None, environment: str | None = None,
             edge: str) -> TaskView:
    """Delegate an open task to a colleague, or to a user of a partner environment; the caller owns it."""
    require(actor, "tasks.act")
    return view(tasks.delegate(session, actor=actor, task_id=task_id, to=to or "", environment=environment,
                               edge=_edge(edge)))


def resolve(session: Session, host: Host, *, actor: Actor, task_id: int, data: Mapping[str, Any],
            edge: str) -> TaskView:
    """The delegate's part is done: the task goes back to its owner with their data (409 while the
    instance is suspended, or when the task is not delegated to the caller)."""
    require(actor, "tasks.act")
    task = access.get_task(session, actor, task_id)
    if task.status != "delegated" or not access.is_delegate(actor, task):
        raise Conflict(f"task {task_id} is not delegated to you", code="not_delegated",
                       details=[{"status": task.status, "delegated_to": task.delegated_to}])
    return view(tasks.complete(session, host, actor=actor, task_id=task_id, data=data, edge=_edge(edge)))


def reassign(session: Session, host: Host, *, actor: Actor, task_id: int, reason: str | None,
             instance_id: int | None = None, assignee: str | None = None, users: Sequence[str] = (),
             groups: Sequence[str] = (), roles: Sequence[str] = (), edge: str) -> TaskView:
    """Give an open task to another user or to candidate users, groups or roles (admins).

    Every name must exist (422 naming it) and four eyes holds (403); a new assignee is mailed
    (`task_assigned`, a job in this transaction)."""
    why = _reason(reason)
    require(actor, "instances.admin")
    task = session.get(HumanTask, task_id, with_for_update=True, populate_existing=True)
    if task is None or task.environment_id != actor.environment_id or instance_id not in (None, task.instance_id):
        raise NotFound(f"task {task_id} not found", code="task_not_found")
    if task.status not in OPEN_STATUSES:
        raise Conflict(f"task {task_id} is {task.status}", code="task_not_open")
    if not (assignee or users or groups or roles):
        raise InvalidInput("name an assignee or candidate users, groups or roles", code="no_assignment")
    before = assignment.snapshot(task)
    assignment.give(session, actor=actor, task=task, assignee=assignee, users=users, groups=groups, roles=roles)
    audit.record(session, actor=actor, action="admin.reassigned", target_type="task", target_id=task.id,
                 instance_id=task.instance_id, before=before,
                 after={**assignment.snapshot(task), "edge": _edge(edge)}, note=why)
    if assignee and assignee != before["assignee"]:
        _tell_assignee(session, host, task=task, actor=actor)
    session.flush()
    return view(task)


def _tell_assignee(session: Session, host: Host, *, task: HumanTask, actor: Actor) -> None:
    """Mail the new assignee that the task is theirs now (sent by the worker after the commit)."""
    found = recipients(session, task.environment_id, [f"user:{task.assignee}"], strict=False,
                       default_language=host.settings.mail_language)
    if found:
        words = wording.mail_words(session, host, task.instance_id)
        notify(session, template="task_assigned", recipients=found, words=words,
               context=task_context(task, host.settings.base_url, process_name=words.process_name),
               environment_id=task.environment_id, instance_id=task.instance_id, actor=actor,
               timezone=host.settings.timezone)
