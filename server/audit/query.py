"""Reading the audit log: filters an auditor uses, keyset paging, one JSON shape per entry."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import CompoundSelect, Select, or_, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.errors import InvalidInput
from server.instances.models import ProcessInstance
from server.invoices.models import Invoice
from server.tasks.models import HumanTask

MAX_LIMIT = 500


@dataclasses.dataclass(frozen=True)
class AuditFilter:
    """What to look for; every field is optional and they combine with AND.

    `action` ending in `.` or `*` matches a prefix (`admin.` = every intervention).
    """

    instance_id: int | None = None
    invoice_number: str | None = None
    supplier: str | None = None
    actor: str | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class AuditPage:
    entries: list[dict[str, Any]]
    next_cursor: str | None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _invoice_instances(environment_id: int, number: str) -> CompoundSelect[Any]:
    """Instances of an invoice number: the invoice row, the business key, or the number in its data."""
    quoted = f'%"{_like(number)}"%'
    by_invoice = select(Invoice.instance_id).where(Invoice.environment_id == environment_id,
                                                   Invoice.number == number, Invoice.instance_id.is_not(None))
    by_instance = select(ProcessInstance.id).where(
        ProcessInstance.environment_id == environment_id,
        or_(ProcessInstance.business_key == number, ProcessInstance.state.like(quoted, escape="\\")))
    return by_invoice.union(by_instance)


def _supplier_instances(environment_id: int, supplier: str) -> CompoundSelect[Any]:
    pattern = f"%{_like(supplier.lower())}%"
    by_invoice = select(Invoice.instance_id).where(
        Invoice.environment_id == environment_id, Invoice.instance_id.is_not(None),
        or_(Invoice.supplier_name.ilike(pattern, escape="\\"), Invoice.supplier_key == supplier))
    by_task = select(HumanTask.instance_id).where(HumanTask.environment_id == environment_id,
                                                  HumanTask.supplier_name.ilike(pattern, escape="\\"))
    return by_invoice.union(by_task)


def statement(environment_id: int, filters: AuditFilter) -> Select[Any]:
    """The filtered SELECT of one environment's entries (unordered; callers add order and paging)."""
    query = select(AuditEvent).where(AuditEvent.environment_id == environment_id)
    f = filters
    if f.instance_id is not None:
        query = query.where(AuditEvent.instance_id == f.instance_id)
    if f.invoice_number:
        query = query.where(AuditEvent.instance_id.in_(_invoice_instances(environment_id, f.invoice_number)))
    if f.supplier:
        query = query.where(AuditEvent.instance_id.in_(_supplier_instances(environment_id, f.supplier)))
    if f.actor:
        query = query.where(AuditEvent.actor == f.actor)
    if f.action:
        if f.action.endswith(("*", ".")):
            query = query.where(AuditEvent.action.startswith(f.action.rstrip("*"), autoescape=True))
        else:
            query = query.where(AuditEvent.action == f.action)
    if f.since is not None:
        query = query.where(AuditEvent.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEvent.at < f.until)
    return query


def search(session: Session, environment_id: int, filters: AuditFilter, *, cursor: str | None = None,
           limit: int = 100, newest_first: bool = True) -> AuditPage:
    """One page of matching entries; pass `next_cursor` back for the next page (stable under inserts)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}", code="invalid_limit")
    query = statement(environment_id, filters)
    if cursor:
        if not cursor.isdigit():
            raise InvalidInput("cursor is not one this API gave out", code="invalid_cursor")
        query = query.where(AuditEvent.id < int(cursor) if newest_first else AuditEvent.id > int(cursor))
    query = query.order_by(AuditEvent.id.desc() if newest_first else AuditEvent.id).limit(limit + 1)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage([entry_json(r) for r in rows], str(rows[-1].id) if more else None)


def instance_history(session: Session, environment_id: int, instance_id: int) -> list[dict[str, Any]]:
    """Every entry of one instance, oldest first."""
    query = statement(environment_id, AuditFilter(instance_id=instance_id)).order_by(AuditEvent.seq)
    return [entry_json(r) for r in session.scalars(query)]


def entry_json(event: Any) -> dict[str, Any]:
    """An entry as the API and the exports show it (an ORM row or a Core row with the same columns)."""
    return {"id": event.id, "seq": event.seq, "at": event.at.isoformat() if event.at else None,
            "actor_type": event.actor_type, "actor": event.actor, "action": event.action,
            "target_type": event.target_type, "target_id": event.target_id, "instance_id": event.instance_id,
            "before": event.before, "after": event.after, "note": event.note,
            "prev_hash": event.prev_hash, "hash": event.hash}
