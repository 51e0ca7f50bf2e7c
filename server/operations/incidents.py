"""Incidents by cause: how many are open (per model and element), and retrying every open one of a cause.

The verbs behind the incidents overview page, GET /api/v1/incidents/causes, POST /api/v1/incidents/retry
and `stroom incidents causes|retry`. The bulk retry is a plain synchronous loop with one transaction per
instance (a failure of one never undoes another), so it can become a background batch later.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import causes
from server.auth.actor import Actor
from server.auth.permissions import require
from server.errors import DomainError, InvalidInput
from server.host import Host
from server.instances import admin
from server.instances.models import Incident, ProcessInstance
from server.operations import instances as instance_ops

BULK_LIMIT = 500


@dataclasses.dataclass(frozen=True)
class Place:
    """Where incidents of one cause happen: a model's element and how many are open there."""

    model_key: str
    element_id: str
    count: int


@dataclasses.dataclass(frozen=True)
class CauseCount:
    """The open incidents of one cause across instances, with where they happen."""

    cause: str
    count: int
    instances: int
    places: tuple[Place, ...]

    def to_json(self, *, translate: Callable[[str], str] = str) -> dict[str, Any]:
        """`causeText`: the cause's sentence (English unless `translate` puts it into the reader's language)."""
        return {"cause": self.cause, "causeText": causes.sentence(self.cause, None, translate=translate),
                "count": self.count, "instances": self.instances,
                "places": [dataclasses.asdict(p) for p in self.places]}


@dataclasses.dataclass(frozen=True)
class RetryOutcome:
    """One incident's retry: retried (its step ran on), failed_again (the step failed once more), or refused
    (the instance could not be retried, e.g. suspended), with the message why."""

    incident_id: int
    instance_id: int
    outcome: str
    message: str = ""


@dataclasses.dataclass(frozen=True)
class BulkRetry:
    """What retrying every open incident of a cause did."""

    cause: str
    results: tuple[RetryOutcome, ...]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    def to_json(self) -> dict[str, Any]:
        return {"cause": self.cause, "retried": self.count("retried"), "failed_again": self.count("failed_again"),
                "refused": self.count("refused"), "results": [dataclasses.asdict(r) for r in self.results]}


def cause_counts(session: Session, *, actor: Actor) -> list[CauseCount]:
    """Open incidents of the caller's environment counted by cause (most first), and by model and element."""
    require(actor, "instances.read")
    open_ones = (Incident.environment_id == actor.environment_id, Incident.status == "open")
    rows = session.execute(
        select(Incident.cause, ProcessInstance.model_key, Incident.element_id, func.count())
        .join(ProcessInstance, ProcessInstance.id == Incident.instance_id).where(*open_ones)
        .group_by(Incident.cause, ProcessInstance.model_key, Incident.element_id)).all()
    spread: dict[str, int] = {cause: n for cause, n in session.execute(
        select(Incident.cause, func.count(func.distinct(Incident.instance_id))).where(*open_ones)
        .group_by(Incident.cause))}
    places: dict[str, list[Place]] = {}
    for cause, model_key, element_id, count in rows:
        places.setdefault(cause, []).append(Place(model_key, element_id, count))
    found = [CauseCount(cause, sum(p.count for p in where), spread.get(cause, 0),
                        tuple(sorted(where, key=lambda p: (-p.count, p.model_key, p.element_id))))
             for cause, where in places.items()]
    return sorted(found, key=lambda c: (-c.count, c.cause))


def checked_cause(value: object) -> str:
    """A known cause code, or InvalidInput naming the known ones."""
    if not isinstance(value, str) or value not in causes.CODES:
        raise InvalidInput(f"cause must be one of {', '.join(causes.CODES)}", code="invalid_cause",
                           details=[{"field": "cause"}])
    return value


def retry_all(host: Host, *, actor: Actor, cause: object, reason: str | None) -> BulkRetry:
    """Retry every open incident of `cause` in the caller's environment, one transaction per instance;
    each retry is the single retry (audited as `admin.retried`), so what one instance does never undoes
    another's. Answers per incident whether it ran on, failed again or was refused."""
    require(actor, instance_ops.ADMIN)
    code = checked_cause(cause)
    why = admin.checked_reason(reason)
    with host.db.unit_of_work() as session:
        targets = session.execute(
            select(Incident.id, Incident.instance_id)
            .where(Incident.environment_id == actor.environment_id, Incident.status == "open",
                   Incident.cause == code).order_by(Incident.instance_id, Incident.id).limit(BULK_LIMIT)).all()
    by_instance: dict[int, list[int]] = {}
    for incident_id, instance_id in targets:
        by_instance.setdefault(instance_id, []).append(incident_id)
    results = [outcome for instance_id, ids in by_instance.items()
               for outcome in _retry_instance(host, actor=actor, instance_id=instance_id, incident_ids=ids,
                                              reason=why)]
    return BulkRetry(code, tuple(results))


def _retry_instance(host: Host, *, actor: Actor, instance_id: int, incident_ids: list[int],
                    reason: str) -> list[RetryOutcome]:
    """Retry one instance's incidents in one transaction; a refusal rolls back that instance only."""
    try:
        with host.db.unit_of_work() as session:
            outcomes = []
            for incident_id in incident_ids:
                instance_ops.retry_incident(session, host, actor=actor, incident_id=incident_id, reason=reason)
                incident = session.get(Incident, incident_id)
                if incident is not None and incident.status == "open":
                    outcomes.append(RetryOutcome(incident_id, instance_id, "failed_again",
                                                 causes.sentence(incident.cause, incident.cause_detail)))
                else:
                    outcomes.append(RetryOutcome(incident_id, instance_id, "retried"))
            return outcomes
    except DomainError as exc:
        return [RetryOutcome(incident_id, instance_id, "refused", exc.message) for incident_id in incident_ids]
