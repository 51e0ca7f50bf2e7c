"""What the task verbs answer: a task, a page of tasks and one task with its form, as frozen, masked views."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.host import Host
from server.instances.view import mask_secrets
from server.operations import task_detail as details
from server.operations.invoice_parts import DecisionCard, InvoiceReview
from server.tasks import access, foureyes, listing
from server.tasks.models import HumanTask


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclasses.dataclass(frozen=True)
class TaskView:
    """A task as every edge answers it (its outcome with secrets masked)."""

    id: int
    name: str
    element_id: str
    process_key: str
    instance_id: int
    status: str
    assignee: str | None
    owner: str | None
    candidate_users: tuple[str, ...]
    candidate_groups: tuple[str, ...]
    candidate_roles: tuple[str, ...]
    supplier_name: str | None
    amount: str | None
    currency: str | None
    invoice_number: str | None
    due_at: dt.datetime | None
    created_at: dt.datetime | None
    completed_at: dt.datetime | None
    completed_by: str | None
    delegated_to: str | None
    delegation_state: str | None
    multi_instance_item: Any
    outcome: Mapping[str, Any]

    @property
    def decision(self) -> str | None:
        """`approve` or `disapprove` when the completion decided an approval, else None."""
        chosen = self.outcome.get("decision")
        if chosen in ("approve", "disapprove"):
            return str(chosen)
        approved = self.outcome.get("approved")
        return None if approved is None else ("approve" if approved is True else "disapprove")

    def to_json(self) -> dict[str, Any]:
        """The task as the API answers it (GET /tasks rows and every task action)."""
        return {
            "id": self.id, "name": self.name, "element_id": self.element_id, "process_key": self.process_key,
            "instance_id": self.instance_id, "status": self.status, "assignee": self.assignee,
            "owner": self.owner, "candidate_users": list(self.candidate_users),
            "candidate_groups": list(self.candidate_groups), "candidate_roles": list(self.candidate_roles),
            "supplier_name": self.supplier_name, "amount": self.amount, "currency": self.currency,
            "invoice_number": self.invoice_number, "due_at": _iso(self.due_at),
            "created_at": _iso(self.created_at), "completed_at": _iso(self.completed_at),
            "completed_by": self.completed_by, "delegated_to": self.delegated_to,
            "delegation_state": self.delegation_state, "multi_instance_item": self.multi_instance_item,
        }


def view(task: HumanTask) -> TaskView:
    """The view of a task as it stands in this transaction."""
    return TaskView(
        id=task.id, name=task.name, element_id=task.element_id, process_key=task.process_key,
        instance_id=task.instance_id, status=task.status, assignee=task.assignee, owner=task.owner,
        candidate_users=tuple(task.candidate_users), candidate_groups=tuple(task.candidate_groups),
        candidate_roles=tuple(task.candidate_roles), supplier_name=task.supplier_name,
        amount=str(task.amount) if task.amount is not None else None, currency=task.currency,
        invoice_number=task.invoice_number, due_at=task.due_at,
        created_at=task.created_at, completed_at=task.completed_at, completed_by=task.completed_by,
        delegated_to=task.delegated_to, delegation_state=task.delegation_state,
        multi_instance_item=task.form.get("item"), outcome=mask_secrets(dict(task.outcome or {})))


@dataclasses.dataclass(frozen=True)
class TaskListView:
    """One page of tasks and the total (capped: then `total_exact` is false)."""

    tasks: tuple[TaskView, ...]
    may_act: tuple[bool, ...]
    total: int
    total_exact: bool
    page: int
    per_page: int

    def to_json(self) -> dict[str, Any]:
        # Paging is the edge's: the API adds `next_cursor`; page numbers are not part of any answer.
        return {"tasks": [t.to_json() for t in self.tasks], "total": self.total, "total_exact": self.total_exact}


def list_view(page: listing.TaskPage, actor: Actor) -> TaskListView:
    return TaskListView(tasks=tuple(view(t) for t in page.tasks),
                        may_act=tuple(access.may_act(actor, t) for t in page.tasks), total=page.total,
                        total_exact=page.total_exact, page=page.page, per_page=page.per_page)


@dataclasses.dataclass(frozen=True)
class TaskDetailView:
    """One task with its form, the data the form shows (masked), the invoice, history and comments."""

    task: TaskView
    form_key: str | None
    schema: Mapping[str, Any] | None
    data: Mapping[str, Any]
    invoice: Mapping[str, Any] | None
    history: tuple[Mapping[str, Any], ...]
    comments: tuple[Mapping[str, Any], ...]
    may_act: bool
    review: InvoiceReview | None = None  # the invoice as the approver decides from it
    decisions: tuple[DecisionCard, ...] = ()  # the decisions the instance took (not in the API's answer)

    def to_json(self) -> dict[str, Any]:
        return {**self.task.to_json(), "form": {"key": self.form_key, "schema": self.schema},
                "data": dict(self.data), "invoice": self.invoice, "history": list(self.history),
                "comments": list(self.comments), "may_act": self.may_act,
                "review": self.review.to_json() if self.review else None}


def may_act(session: Session, actor: Actor, task: HumanTask) -> bool:
    """Whether the caller may act on the task now: a candidate, and not kept off it by four eyes."""
    return access.may_act(actor, task) and foureyes.allows(session, task, access.acting_for(session, actor, task))


def detail_view(session: Session, host: Host, *, actor: Actor, task_id: int) -> TaskDetailView:
    found = details.task_detail(session, host, actor=actor, task_id=task_id)
    task = found.task
    return TaskDetailView(task=view(task), form_key=task.form.get("key"), schema=task.form.get("schema") or None,
                          data=mask_secrets(found.data), invoice=found.invoice, history=tuple(found.history),
                          comments=tuple(task.comments or ()), may_act=may_act(session, actor, task))
