"""Moving one instance onto another version of its model (the verbs are server.operations.migration).

`check` says whether an instance can move and why not; `migrate` moves it: the engine re-specs its
tree (server.engine.migration), the open human tasks follow their engine task (claim, assignee and due
date kept), one `admin.migrated` entry records the version and waiting steps before and after, and the
save that follows reconciles the timer jobs (the target's timers armed, the old ones cancelled).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.engine import CompiledModel, WorkflowRun
from server.errors import NotFound
from server.host import Host
from server.instances import service as instances
from server.instances.models import ProcessInstance, ProcessModelVersion
from server.tasks import mirror

ACTIVE = ("running", "failed", "suspended")


@dataclasses.dataclass(frozen=True)
class Reason:
    """Why an instance cannot move: the element it waits at (may be empty), in words, and a code."""

    element_id: str
    name: str
    reason: str
    code: str

    def to_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Check:
    """One instance against a plan: where it waits and what keeps it from moving (nothing: it can)."""

    instance_id: int
    business_key: str | None
    status: str
    version: int
    waiting: tuple[str, ...]
    reasons: tuple[Reason, ...]

    @property
    def can_move(self) -> bool:
        return not self.reasons


def model_version(session: Session, environment_id: int, key: str, number: int) -> ProcessModelVersion:
    """Version `number` of model `key` in the environment, or NotFound."""
    found = session.scalars(select(ProcessModelVersion).where(
        ProcessModelVersion.environment_id == environment_id, ProcessModelVersion.key == key,
        ProcessModelVersion.version == number)).first()
    if found is None:
        raise NotFound(f"model {key!r} has no version {number}", code="model_version_not_found",
                       details=[{"model": key, "version": number}])
    return found


def instances_of(session: Session, version: ProcessModelVersion, ids: tuple[int, ...] = ()) -> list[ProcessInstance]:
    """The live instances of a version (or those of `ids`, whatever they run on), oldest first."""
    query = select(ProcessInstance).where(ProcessInstance.environment_id == version.environment_id)
    if ids:
        query = query.where(ProcessInstance.id.in_(ids))
    else:
        query = query.where(ProcessInstance.model_version_id == version.id, ProcessInstance.status.in_(ACTIVE))
    return list(session.scalars(query.order_by(ProcessInstance.id)))


def check(session: Session, host: Host, *, actor: Actor, instance: ProcessInstance, source: ProcessModelVersion,
          target: ProcessModelVersion, mapping: Mapping[str, str]) -> tuple[Check, WorkflowRun | None]:
    """Whether `instance` can move from `source` to `target` under `mapping`, and its loaded run."""
    runs_on = instances.version_of(session, instance)
    def result(waiting: tuple[str, ...], *reasons: Reason) -> Check:
        return Check(instance.id, instance.business_key, instance.status, runs_on.version, waiting, reasons)
    if runs_on.id != source.id:
        return result((), Reason("", "", f"the instance runs on {runs_on.key} version {runs_on.version}, not "
                                 f"{source.key} version {source.version}", "other_version")), None
    if instance.status not in ACTIVE:
        return result((), Reason("", "", f"the instance is {instance.status}", "instance_state")), None
    run = instances.load_run(session, host, instance, actor=actor)
    blockers = run.migration_blockers(target_model(host, target), mapping, target_label=f"version {target.version}")
    return result(tuple(run.open_elements()), *(Reason(b.element_id, b.name, b.reason, b.code)
                                                 for b in blockers)), run


def target_model(host: Host, version: ProcessModelVersion) -> CompiledModel:
    return instances.compiled(host, version)


def migrate(session: Session, host: Host, *, actor: Actor, instance: ProcessInstance, run: WorkflowRun,
            source: ProcessModelVersion, target: ProcessModelVersion, mapping: Mapping[str, str],
            note: str | None, edge: str, batch_id: int | None = None) -> dict[str, Any]:
    """Move a checked instance (its `run` from `check`) to `target`; returns the audit entry's `after`."""
    before = {"version": source.version, "waiting": run.open_elements()}
    moved, kept = run.migrated_to(target_model(host, target), mapping)
    mirror.rebind(session, instance_id=instance.id, moved=kept,
                  ready={t.task_id: t for t in moved.ready_user_tasks()})
    instance.model_version_id = target.id
    after = {"version": target.version, "waiting": moved.open_elements(), "edge": edge,
             "mapping": {k: v for k, v in sorted(mapping.items()) if k != v}}  # the hand mappings
    if batch_id is not None:
        after["batch_id"] = batch_id
    audit.record(session, actor=actor, action="admin.migrated", target_type="instance", target_id=instance.id,
                 instance_id=instance.id, before=before, after=after, note=note)
    instances.advance_and_save(session, host, instance=instance, run=moved, actor=actor)
    return after
