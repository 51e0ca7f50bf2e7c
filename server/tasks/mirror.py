"""Human tasks mirrored from the engine: open one per ready user task, close those no longer ready."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.db import utcnow
from server.engine import UserTaskInfo
from server.engine.outcome import OpenTask, StepOutcome
from server.masterdata.normalise import search_key
from server.tasks import due, foureyes
from server.tasks.models import OPEN_STATUSES, HumanTask, TaskCandidate


def plan(session: Session, *, instance_id: int, ready: Mapping[str, UserTaskInfo], forms: Mapping[str, Any],
         new: bool) -> tuple[tuple[OpenTask, ...], tuple[int, ...]]:
    """(tasks to open, stored task ids to close) so the open tasks are exactly the `ready` ones."""
    existing = {} if new else dict(session.execute(select(HumanTask.engine_task_id, HumanTask.id).where(
        HumanTask.instance_id == instance_id, HumanTask.status.in_(OPEN_STATUSES))).all())
    close = tuple(task_id for engine_id, task_id in existing.items() if engine_id not in ready)
    opened = tuple(OpenTask(info, _form(forms, info.form_key)) for engine_id, info in ready.items()
                   if engine_id not in existing)
    return opened, close


def _form(forms: Mapping[str, Any], form_key: str | None) -> Mapping[str, Any]:
    key = (form_key or "").removeprefix("stroom:")
    return dict(forms.get(key, {})) if key else {}


def apply(session: Session, *, outcome: StepOutcome, actor: Actor) -> list[tuple[HumanTask, UserTaskInfo]]:
    """Close and open the outcome's tasks (audited); the tasks opened, for whoever notifies people."""
    for task_id in outcome.close_tasks:
        task = session.get(HumanTask, task_id)
        if task is None:
            continue
        task.status = "not_needed" if task.form.get("multi_instance") else "cancelled"
        task.completed_at = utcnow()
        audit.record(session, actor=actor, action="task.closed", target_type="task", target_id=task.id,
                     instance_id=outcome.instance_id, after={"status": task.status})
    return [(_create(session, outcome=outcome, opening=opening, actor=actor), opening.info)
            for opening in outcome.open_tasks]


def _create(session: Session, *, outcome: StepOutcome, opening: OpenTask, actor: Actor) -> HumanTask:
    info = opening.info
    found = info.data.get("invoice")
    invoice: dict[str, Any] = found if isinstance(found, dict) else {}
    supplier = str(invoice.get("supplier_name") or "")
    task = HumanTask(
        environment_id=outcome.environment_id, instance_id=outcome.instance_id, engine_task_id=info.task_id,
        element_id=info.element_id, name=info.name, process_key=outcome.model_key, status="open",
        assignee=info.assignment.assignee, candidate_users=list(info.assignment.candidate_users),
        candidate_groups=list(info.assignment.candidate_groups),
        candidate_roles=list(info.assignment.candidate_roles),
        form={"key": info.form_key, "schema": dict(opening.form),
              "multi_instance": info.multi_instance_item is not None,
              "item": info.multi_instance_item, "properties": info.properties,
              "four_eyes": list(info.assignment.four_eyes),
              "excluded": foureyes.excluded_from_data(info.assignment.four_eyes, info.data)},
        supplier_name=supplier[:300] or None, supplier_search=search_key(supplier)[:300] or None,
        amount=_decimal(invoice.get("payable_amount")),
        invoice_number=str(invoice.get("number") or "")[:200] or None,
        currency=str(invoice.get("currency") or "")[:3] or None,
        due_at=due.task_due(info.assignment.due_date, info.data, info.properties))
    session.add(task)
    session.flush()
    for kind, names in (("group", info.assignment.candidate_groups), ("role", info.assignment.candidate_roles),
                        ("user", info.assignment.candidate_users)):
        for name in dict.fromkeys(names):
            session.add(TaskCandidate(task_id=task.id, kind=kind, name=name))
    audit.record(session, actor=actor, action="task.created", target_type="task", target_id=task.id,
                 instance_id=outcome.instance_id,
                 after={"element": info.element_id, "name": info.name, "assignee": task.assignee,
                        "groups": task.candidate_groups, "roles": task.candidate_roles,
                        "users": task.candidate_users})
    return task


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def rebind(session: Session, *, instance_id: int, moved: Mapping[str, str],
           ready: Mapping[str, UserTaskInfo]) -> list[int]:
    """After a migration: point the open human tasks at their engine task on the new version (`moved`:
    old engine id -> new one; unmoved ids stay), keeping assignee, candidates, claim and due date.

    Returns the ids of the tasks kept; those whose engine task is gone are closed by the next save."""
    kept = []
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status.in_(OPEN_STATUSES))):
        engine_id = moved.get(task.engine_task_id, task.engine_task_id)
        info = ready.get(engine_id)
        if info is None:
            continue
        task.engine_task_id, task.element_id, task.name = engine_id, info.element_id, info.name
        kept.append(task.id)
    session.flush()
    return kept
