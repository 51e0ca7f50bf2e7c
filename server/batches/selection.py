"""Which instances a batch acts on: the filter an administrator gives, checked, and its SELECT.

The filter is what the instance list filters by (model key, version, state) plus what a batch needs
to find the stuck ones: the element an instance waits at (an open human task or an open incident
there), whether it has an open incident and what the incident's message says, and when it started.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, exists, or_, select

from server import causes
from server.errors import InvalidInput
from server.instances.models import Incident, ProcessInstance, ProcessModelVersion
from server.tasks.models import OPEN_STATUSES, HumanTask

STATUSES = ("running", "failed", "suspended", "completed", "terminated")
FIELDS = ("model", "version", "element", "incident", "incident_message", "cause", "started_after",
          "started_before", "status")
TEXT_MAX = 200
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


@dataclasses.dataclass(frozen=True)
class BatchFilter:
    """What to select; every field is optional (at least one is given) and they combine with AND."""

    model: str | None = None
    version: int | None = None
    element: str | None = None  # waits there: an open human task or an open incident at this element
    incident: bool | None = None  # has an open incident (False: has none)
    incident_message: str | None = None  # an open incident's message contains this (any case)
    cause: str | None = None  # an open incident has this plain cause (server.causes.CODES)
    started_after: dt.datetime | None = None
    started_before: dt.datetime | None = None
    status: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The given fields only, JSON-ready (times in ISO 8601)."""
        return {k: v.isoformat() if isinstance(v, dt.datetime) else v
                for k, v in dataclasses.asdict(self).items() if v is not None}

    @property
    def empty(self) -> bool:
        return not self.to_json()


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"filter {field}: {message}", code="invalid_filter",
                        details=[{"field": field, "message": message}])


def _text(raw: Mapping[str, Any], field: str, limit: int = TEXT_MAX) -> str | None:
    value = raw.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise _invalid(field, "must be text")
    if len(value.strip()) > limit:
        raise _invalid(field, f"is longer than {limit} characters")
    return value.strip()


def _version(raw: Mapping[str, Any]) -> int | None:
    value = raw.get("version")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.isdigit())):
        raise _invalid("version", "must be a whole number from 1")
    if int(value) < 1:
        raise _invalid("version", "must be a whole number from 1")
    return int(value)


def _flag(raw: Mapping[str, Any]) -> bool | None:
    value = raw.get("incident")
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE + FALSE:
        return value.strip().lower() in TRUE
    raise _invalid("incident", "must be true or false")


def _time(raw: Mapping[str, Any], field: str) -> dt.datetime | None:
    value = _text(raw, field, limit=40)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(field, "must be an ISO 8601 date or time, e.g. 2024-05-01 or 2024-05-01T12:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_filter(raw: Mapping[str, Any]) -> BatchFilter:
    """The checked filter of a request's fields (text from a form or query, or JSON values);
    InvalidInput (422) naming the field for an unknown field, a bad value or no criterion at all."""
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise _invalid(unknown[0], f"is not a filter field; use {', '.join(FIELDS)}")
    status = _text(raw, "status")
    if status is not None and status not in STATUSES:
        raise _invalid("status", f"must be one of {', '.join(STATUSES)}")
    cause = _text(raw, "cause")
    if cause is not None and cause not in causes.CODES:
        raise _invalid("cause", f"must be one of {', '.join(causes.CODES)}")
    found = BatchFilter(model=_text(raw, "model"), version=_version(raw), element=_text(raw, "element"),
                        incident=_flag(raw), incident_message=_text(raw, "incident_message", limit=500), cause=cause,
                        started_after=_time(raw, "started_after"), started_before=_time(raw, "started_before"),
                        status=status)
    if found.version is not None and found.model is None:
        raise _invalid("version", "needs the model key")
    if found.incident is False and (found.incident_message or found.cause):
        field = "incident_message" if found.incident_message else "cause"
        raise _invalid(field, "looks for an incident, but incident is false")
    if found.empty:
        raise InvalidInput("choose at least one filter (model, element, incident, started before or after, state)",
                           code="filter_required", details=[{"field": "filter", "message": "empty"}])
    return found


def stored_filter(saved: Mapping[str, Any]) -> BatchFilter:
    """A filter saved with a batch, read back."""
    return parse_filter(saved)


def _open_incident(flt: BatchFilter) -> Any:
    condition = exists().where(Incident.instance_id == ProcessInstance.id, Incident.status == "open")
    if flt.incident_message:
        text = flt.incident_message.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        condition = condition.where(Incident.error.ilike(f"%{text}%", escape="\\"))
    if flt.cause:
        condition = condition.where(Incident.cause == flt.cause)
    return condition


def narrow(query: Select[Any], flt: BatchFilter) -> Select[Any]:
    """`query` (a SELECT over ProcessInstance) narrowed to the instances the filter matches."""
    if flt.model:
        query = query.where(ProcessInstance.model_key == flt.model)
    if flt.version is not None:
        query = query.where(ProcessInstance.model_version_id.in_(
            select(ProcessModelVersion.id).where(ProcessModelVersion.key == flt.model,
                                                 ProcessModelVersion.version == flt.version)))
    if flt.status:
        query = query.where(ProcessInstance.status == flt.status)
    if flt.element:
        waiting_task = exists().where(HumanTask.instance_id == ProcessInstance.id,
                                      HumanTask.element_id == flt.element, HumanTask.status.in_(OPEN_STATUSES))
        failed_here = exists().where(Incident.instance_id == ProcessInstance.id, Incident.status == "open",
                                     Incident.element_id == flt.element)
        query = query.where(or_(waiting_task, failed_here))
    if flt.incident is not None or flt.incident_message or flt.cause:
        has_one = _open_incident(flt)
        query = query.where(has_one if flt.incident is not False else ~has_one)
    if flt.started_after:
        query = query.where(ProcessInstance.started_at >= flt.started_after)
    if flt.started_before:
        query = query.where(ProcessInstance.started_at < flt.started_before)
    return query


def matching(environment_id: int, flt: BatchFilter, *, statuses: tuple[str, ...],
             needs_incident: bool = False) -> Select[Any]:
    """The ids, in order, of the environment's instances the filter matches and a kind applies to
    (one of `statuses`; with an open incident when `needs_incident`)."""
    query = select(ProcessInstance.id).where(ProcessInstance.environment_id == environment_id,
                                             ProcessInstance.status.in_(statuses))
    query = narrow(query, flt)
    if needs_incident and flt.incident is None and not flt.incident_message and not flt.cause:
        query = query.where(_open_incident(flt))
    return query.order_by(ProcessInstance.id)
