"""What mail templates know about tasks: name, link, due date and the invoice basics a task mirrors."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.tasks.models import OPEN_STATUSES, HumanTask
from server.wording import NO_TEXTS, Texts


def _no_texts(language: str) -> Texts:
    return NO_TEXTS


@dataclasses.dataclass(frozen=True)
class ModelWords:
    """What a mail quotes from the task's model: the process name as drawn and the model's catalogue per
    language (server.wording). Built by the layers that know model versions (instances, operations,
    the worker's handlers); mail only reads it, so it never imports them."""

    process_name: str | None = None
    texts: Callable[[str], Texts] = _no_texts


NO_WORDS = ModelWords()


def task_context(task: HumanTask, base_url: str, *, process_name: str | None = None) -> dict[str, Any]:
    """What templates know about a task: name, link, due date (a moment the template writes in the
    recipient's locale), the process's name (as drawn; translated per recipient) and the invoice basics."""
    context: dict[str, Any] = {
        "task": {"id": task.id, "name": task.name, "url": f"{base_url.rstrip('/')}/tasks/{task.id}",
                 "due_at": task.due_at},
        "process": process_name or task.process_key, "base_url": base_url,
    }
    if task.supplier_name or task.amount is not None:
        context["invoice"] = {"supplier_name": task.supplier_name, "number": task.invoice_number,
                              "payable_amount": str(task.amount) if task.amount is not None else None,
                              "currency": task.currency}
    return context


def open_task_context(session: Session, instance_id: int | None, base_url: str, *,
                      process_name: str | None = None) -> dict[str, Any]:
    """The context of an instance's oldest open task, for service-task mails (reminder, escalation)."""
    if instance_id is None:
        return {}
    task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status.in_(OPEN_STATUSES))
                           .order_by(HumanTask.id).limit(1)).first()
    return task_context(task, base_url, process_name=process_name) if task is not None else {}
