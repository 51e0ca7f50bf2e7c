"""What mail templates know about tasks: name, link, due date and the invoice basics a task mirrors."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.tasks.models import OPEN_STATUSES, HumanTask


def task_context(task: HumanTask, base_url: str) -> dict[str, Any]:
    """What templates know about a task: name, link, due date, and the invoice basics it mirrors."""
    context: dict[str, Any] = {
        "task": {"id": task.id, "name": task.name, "url": f"{base_url.rstrip('/')}/tasks/{task.id}",
                 "due_at": task.due_at.strftime("%Y-%m-%d %H:%M UTC") if task.due_at else None},
        "process": task.process_key, "base_url": base_url,
    }
    if task.supplier_name or task.amount is not None:
        context["invoice"] = {"supplier_name": task.supplier_name,
                              "payable_amount": str(task.amount) if task.amount is not None else None}
    return context



def open_task_context(session: Session, instance_id: int | None, base_url: str) -> dict[str, Any]:
    """The context of an instance's oldest open task, for service-task mails (reminder, escalation)."""
    if instance_id is None:
        return {}
    task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status.in_(OPEN_STATUSES))
                           .order_by(HumanTask.id).limit(1)).first()
    return task_context(task, base_url) if task is not None else {}
