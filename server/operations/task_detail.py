"""One task as its form needs it: the task, its form schema, the data the form shows, the invoice, history.

Only the fields the form declares and the invoice summary leave the instance: a delegate from a
partner environment sees that task and its invoice, nothing else of the instance.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.auth.actor import Actor
from server.host import Host
from server.instances import service as instances
from server.invoices.models import Invoice
from server.tasks import access
from server.tasks.models import OPEN_STATUSES, HumanTask

INVOICE_FIELDS = ("id", "number", "document_type", "supplier_name", "customer_name", "payable_amount", "currency",
                  "issue_date", "due_date", "order_reference", "iban", "contact_email", "lines", "attachments")


@dataclasses.dataclass(frozen=True)
class TaskDetail:
    task: HumanTask
    data: dict[str, Any]
    invoice: dict[str, Any] | None
    history: list[dict[str, Any]]
    may_act: bool


def form_keys(components: list[Any]) -> Iterator[str]:
    """The top-level data keys a form-js schema reads and writes."""
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("type") == "group" and not component.get("path"):
            yield from form_keys(component.get("components") or [])
        elif component.get("key") or component.get("path"):
            yield str(component.get("key") or component.get("path"))


def _process_data(session: Session, host: Host, task: HumanTask) -> dict[str, Any]:
    if task.status not in OPEN_STATUSES:
        return {}
    instance = instances.get_instance(session, task.environment_id, task.instance_id)
    run = instances.load_run(session, host, instance, actor=Actor.system(task.environment_id))
    return run.data


def _invoice(session: Session, task: HumanTask, data: dict[str, Any]) -> dict[str, Any] | None:
    summary = data.get("invoice")
    if isinstance(summary, dict):
        return {k: summary.get(k) for k in INVOICE_FIELDS if k in summary}
    row = session.scalars(select(Invoice).where(Invoice.instance_id == task.instance_id,
                                                Invoice.environment_id == task.environment_id)).first()
    if row is None:
        return None
    return {"id": row.id, "number": row.number, "document_type": row.document_type,
            "supplier_name": row.supplier_name, "currency": row.currency,
            "payable_amount": str(row.payable_amount) if row.payable_amount is not None else None,
            "issue_date": row.issue_date.isoformat() if row.issue_date else None,
            "due_date": row.due_date.isoformat() if row.due_date else None, "contact_email": row.contact_email}


def history(session: Session, task: HumanTask) -> list[dict[str, Any]]:
    """The task's own audit entries, oldest first."""
    rows = session.scalars(select(AuditEvent).where(
        AuditEvent.environment_id == task.environment_id, AuditEvent.instance_id == task.instance_id,
        AuditEvent.target_type == "task", AuditEvent.target_id == str(task.id)).order_by(AuditEvent.seq))
    return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "before": e.before, "after": e.after}
            for e in rows]


def task_detail(session: Session, host: Host, *, actor: Actor, task_id: int) -> TaskDetail:
    """The task with its form data and invoice, if the caller may see it (else NotFound)."""
    task = access.get_task(session, actor, task_id)
    data = _process_data(session, host, task)
    keys = set(form_keys((task.form.get("schema") or {}).get("components") or []))
    shown = {k: v for k, v in data.items() if k in keys}
    if task.status not in OPEN_STATUSES:
        shown = dict(task.outcome)
    return TaskDetail(task=task, data=shown, invoice=_invoice(session, task, data),
                      history=history(session, task), may_act=access.may_act(actor, task))
