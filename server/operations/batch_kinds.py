"""What a batch can do to each instance: one registry entry per kind, each calling one instance verb.

A kind names the instance states it applies to (what the dry count and the selection include), whether
it needs an open incident, how it checks its own options, and its step: the single-instance operation,
called with the batch's actor, reason and `batch_id` (so the audit entry is the one a person's
intervention writes, naming the batch). A step raises a DomainError for an instance it cannot change;
the runner records that message as the instance's plain reason and goes on.

To add a kind, add one entry in `batch_kinds()` with its step and, if it takes options, their check
(as `migrate` does: the target version and the elements mapped by hand).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.errors import Conflict, InvalidInput
from server.host import Host
from server.operations import instances, migration

ACTIVE = ("running", "failed", "suspended")


@dataclasses.dataclass(frozen=True)
class StepInput:
    """One instance of a batch, as its step receives it."""

    actor: Actor
    instance_id: int
    reason: str
    batch_id: int
    options: Mapping[str, Any]


class Step(Protocol):
    def __call__(self, session: Session, host: Host, item: StepInput) -> object: ...


def no_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The kinds without options refuse any (a typo must not pass silently)."""
    if options:
        raise InvalidInput(f"this kind takes no options (got {', '.join(sorted(options))})", code="invalid_options",
                           details=[{"field": "options", "message": "not allowed for this kind"}])
    return {}


@dataclasses.dataclass(frozen=True)
class BatchKind:
    name: str
    statuses: tuple[str, ...]  # the instance states it applies to
    step: Step
    needs_incident: bool = False
    check_options: Callable[[Mapping[str, Any]], dict[str, Any]] = no_options


def _suspend(session: Session, host: Host, item: StepInput) -> object:
    return instances.suspend(session, host, actor=item.actor, instance_id=item.instance_id, reason=item.reason,
                             batch_id=item.batch_id)


def _resume(session: Session, host: Host, item: StepInput) -> object:
    return instances.resume(session, host, actor=item.actor, instance_id=item.instance_id, reason=item.reason,
                            batch_id=item.batch_id)


def _retry(session: Session, host: Host, item: StepInput) -> object:
    """The instance's only open incident (several: a failure asking to name one, as by hand)."""
    return instances.retry(session, host, actor=item.actor, instance_id=item.instance_id, reason=item.reason,
                           batch_id=item.batch_id)


def _terminate(session: Session, host: Host, item: StepInput) -> object:
    return instances.terminate(session, host, actor=item.actor, instance_id=item.instance_id, reason=item.reason,
                               batch_id=item.batch_id)


def _migration_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """`to_version` (the target version of the instances' model) and an optional `mapping` {old: new}."""
    unknown = sorted(set(options) - {"to_version", "mapping"})
    if unknown:
        raise InvalidInput(f"unknown migrate options: {', '.join(unknown)}", code="invalid_options",
                           details=[{"field": "options", "message": "use to_version and mapping"}])
    target = options.get("to_version")
    if isinstance(target, bool) or not isinstance(target, int) or target < 1:
        raise InvalidInput("a migrate batch needs to_version, a version number", code="invalid_options",
                           details=[{"field": "options.to_version", "message": "a version number"}])
    mapping = options.get("mapping") or {}
    if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                for k, v in mapping.items()):
        raise InvalidInput("mapping must map element ids to element ids", code="invalid_options",
                           details=[{"field": "options.mapping", "message": "an object of element id strings"}])
    return {"to_version": target, "mapping": dict(mapping)}


def _migrate(session: Session, host: Host, item: StepInput) -> object:
    """Each instance from the version it runs on to `to_version`; one that cannot move fails with why."""
    request = migration.request_for_instance(session, actor=item.actor, instance_id=item.instance_id,
                                             target_version=int(item.options["to_version"]),
                                             mapping=item.options.get("mapping", {}))
    result = migration.migrate_instance(session, host, actor=item.actor, instance_id=item.instance_id,
                                        request=request, edge="batch", reason=item.reason, batch_id=item.batch_id)
    if not result.migrated:
        raise Conflict(result.why_not or "the instance cannot move to that version", code="cannot_migrate")
    return result


def batch_kinds() -> dict[str, BatchKind]:
    """A fresh name -> kind mapping, in the order the edges offer them."""
    return {
        "suspend": BatchKind("suspend", statuses=("running", "failed"), step=_suspend),
        "resume": BatchKind("resume", statuses=("suspended",), step=_resume),
        "retry": BatchKind("retry", statuses=("failed", "running"), step=_retry, needs_incident=True),
        "terminate": BatchKind("terminate", statuses=ACTIVE, step=_terminate),
        "migrate": BatchKind("migrate", statuses=ACTIVE, step=_migrate, check_options=_migration_options),
    }


def batch_kind(name: str) -> BatchKind:
    """The kind called `name`; InvalidInput (422) naming the kinds there are."""
    kinds = batch_kinds()
    if name not in kinds:
        raise InvalidInput(f"unknown batch kind {name!r}; use one of {', '.join(kinds)}", code="unknown_kind",
                           details=[{"field": "kind", "message": f"use one of {', '.join(kinds)}"}])
    return kinds[name]
