"""A task's due date: the model's `camunda:dueDate`, else the invoice's payment due date minus a margin.

The margin is the task property `dueMarginDays` (e.g. 5); without it the process data's
`approval_due_date` is used, which the invoice service computes with its default margin.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any


def _parse(raw: Any) -> dt.datetime | None:
    if isinstance(raw, dt.datetime):
        return raw if raw.tzinfo else raw.replace(tzinfo=dt.UTC)
    if isinstance(raw, dt.date):
        return dt.datetime(raw.year, raw.month, raw.day, tzinfo=dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _margin(properties: Mapping[str, Any]) -> int | None:
    try:
        days = int(str(properties.get("dueMarginDays", "")).strip())
    except ValueError:
        return None
    return days if 0 <= days <= 365 else None


def task_due(due: str | None, data: Mapping[str, Any], properties: Mapping[str, Any] | None = None
             ) -> dt.datetime | None:
    """When the task should be done, or None; text that is not a date is ignored."""
    if due:
        return _parse(due)
    found = data.get("invoice")
    invoice: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    margin = _margin(properties or {})
    if margin is not None and invoice.get("due_date"):
        payment_due = _parse(invoice["due_date"])
        return payment_due - dt.timedelta(days=margin) if payment_due else None
    raw = data.get("approval_due_date")
    return _parse(raw) if raw else None
