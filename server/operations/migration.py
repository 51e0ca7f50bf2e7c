"""Migrating running instances to another version of their model: the verbs every edge calls.

A plan maps source elements to target elements (Camunda 7's vocabulary: instructions of
`sourceActivityIds` -> `targetActivityIds`; an element the target keeps maps to itself). `generate_plan`
proposes it, `validate_migration` is the dry run (per instance: can it move, and why not),
`execute_migration` moves each instance in a transaction of its own (one that fails is left as it was
and reported), and `migrate_instance` moves one instance in the caller's transaction (for batch jobs).
Admins only; a plan naming unknown elements, the same version or another model's version is refused.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from server.auth.actor import Actor
from server.auth.permissions import require
from server.engine import activities
from server.errors import DomainError, InvalidInput, NotFound
from server.host import Host
from server.instances import migration
from server.instances import service as instances
from server.instances.models import ProcessModelVersion

ADMIN = "instances.admin"
EDGES = ("api", "web", "cli", "batch")
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PlanRequest:
    """What an edge asks for: model, source and target version, and the elements mapped by hand."""

    model_key: str
    source_version: int
    target_version: int
    mapping: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Activity:
    """An element a token can wait at."""

    id: str
    name: str
    kind: str

    def to_json(self) -> dict[str, str]:
        return {"activityId": self.id, "name": self.name, "kind": self.kind}


@dataclasses.dataclass(frozen=True)
class MigrationPlan:
    """A checked plan: every instruction maps a source element to a target element."""

    model_key: str
    source_version: int
    target_version: int
    instructions: tuple[tuple[str, str], ...]
    unmapped: tuple[Activity, ...] = ()  # source activities with no counterpart
    target_activities: tuple[Activity, ...] = ()

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self.instructions)

    @property
    def request(self) -> PlanRequest:
        return PlanRequest(self.model_key, self.source_version, self.target_version, self.mapping)

    def to_json(self) -> dict[str, Any]:
        return {"sourceProcessDefinitionId": definition_id(self.model_key, self.source_version),
                "targetProcessDefinitionId": definition_id(self.model_key, self.target_version),
                "model": self.model_key, "sourceVersion": self.source_version, "targetVersion": self.target_version,
                "instructions": [{"sourceActivityIds": [s], "targetActivityIds": [t]} for s, t in self.instructions],
                "unmappedActivities": [a.to_json() for a in self.unmapped],
                "targetActivities": [a.to_json() for a in self.target_activities]}


@dataclasses.dataclass(frozen=True)
class Selection:
    """Which instances: these ids, or every live instance of the source version (optionally only those
    waiting at one element)."""

    instance_ids: tuple[int, ...] = ()
    waiting_at: str | None = None


@dataclasses.dataclass(frozen=True)
class InstanceReport:
    """One instance in a dry run or an execution: where it waits, whether it (can) move(d), and why not."""

    instance_id: int
    business_key: str | None
    waiting: tuple[str, ...]
    can_move: bool
    reasons: tuple[migration.Reason, ...]
    migrated: bool = False
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None

    @property
    def why_not(self) -> str:
        return "; ".join(r.reason for r in self.reasons)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"processInstanceId": self.instance_id, "businessKey": self.business_key,
                                "waiting": list(self.waiting), "canMove": self.can_move,
                                "reasons": [r.to_json() for r in self.reasons]}
        if self.before is not None or self.migrated:
            body.update(migrated=self.migrated, before=self.before, after=self.after)
        return body


@dataclasses.dataclass(frozen=True)
class MigrationReport:
    """A dry run's or an execution's answer: the plan and one report per instance."""

    plan: MigrationPlan
    instances: tuple[InstanceReport, ...]
    executed: bool = False

    @property
    def movable(self) -> int:
        return sum(1 for r in self.instances if (r.migrated if self.executed else r.can_move))

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"plan": self.plan.to_json(), "instances": [r.to_json() for r in self.instances]}
        if self.executed:
            body.update(migrated=self.movable, failed=len(self.instances) - self.movable)
        else:
            body.update(canMove=self.movable, cannotMove=len(self.instances) - self.movable)
        return body


MigrationResult = InstanceReport


def definition_id(key: str, version: int) -> str:
    """Camunda's process definition id, as Stroom writes it: `key:version`."""
    return f"{key}:{version}"


# -- reading a plan and a selection (JSON of the API, and what the page posts) ---------------------


def request_from_json(data: Mapping[str, Any]) -> PlanRequest:
    """A plan from Camunda's fields (`sourceProcessDefinitionId`, `targetProcessDefinitionId` as
    `key:version`, `instructions`) or Stroom's (`model`, `sourceVersion`, `targetVersion`); 422 naming
    the field that does not fit."""
    plan = data.get("migrationPlan", data)
    if not isinstance(plan, Mapping):
        raise InvalidInput("migrationPlan must be an object", code="invalid_input", details=[{"field": "migrationPlan"}])
    if "sourceProcessDefinitionId" in plan or "targetProcessDefinitionId" in plan:
        key, source = _definition(plan, "sourceProcessDefinitionId")
        other, target = _definition(plan, "targetProcessDefinitionId")
        if other != key:
            raise InvalidInput(f"the target {other}:{target} is a version of another model than {key}; a plan "
                               "moves instances between versions of one model", code="other_model",
                               details=[{"field": "targetProcessDefinitionId"}])
    else:
        named = plan.get("model")
        if not isinstance(named, str) or not named.strip():
            raise InvalidInput("model (or sourceProcessDefinitionId) is required", code="invalid_input",
                               details=[{"field": "model"}])
        key, source, target = named.strip(), _number(plan, "sourceVersion"), _number(plan, "targetVersion")
    return PlanRequest(key, source, target, _instructions(plan.get("instructions")))


def _definition(plan: Mapping[str, Any], field: str) -> tuple[str, int]:
    value = plan.get(field)
    key, _, number = (value or "").rpartition(":") if isinstance(value, str) else ("", "", "")
    if not key or not number.isdigit():
        raise InvalidInput(f"{field} must be 'model key:version', e.g. purchase_invoice:2", code="invalid_input",
                           details=[{"field": field}])
    return key, int(number)


def _number(plan: Mapping[str, Any], field: str) -> int:
    value = plan.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInput(f"{field} must be a version number", code="invalid_input", details=[{"field": field}])
    return value


def _instructions(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise InvalidInput("instructions must be a list", code="invalid_input", details=[{"field": "instructions"}])
    mapping: dict[str, str] = {}
    for at, item in enumerate(value):
        sources: Any = item.get("sourceActivityIds") if isinstance(item, Mapping) else None
        targets: Any = item.get("targetActivityIds") if isinstance(item, Mapping) else None
        if not (_one_name(sources) and _one_name(targets)):
            raise InvalidInput(f"instruction {at + 1} must map one sourceActivityIds element to one "
                               "targetActivityIds element", code="invalid_input",
                               details=[{"field": f"instructions[{at}]"}])
        mapping[sources[0].strip()] = targets[0].strip()
    return mapping


def _one_name(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 1 and isinstance(value[0], str) and bool(value[0].strip())


def selection_from_json(data: Mapping[str, Any]) -> Selection:
    """`processInstanceIds`, and/or `processInstanceQuery: {activityIdIn: [element]}` (Camunda's) or
    `waitingAt`; nothing: every live instance of the source version."""
    ids = data.get("processInstanceIds") or []
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in ids):
        raise InvalidInput("processInstanceIds must be a list of instance ids", code="invalid_input",
                           details=[{"field": "processInstanceIds"}])
    query = data.get("processInstanceQuery") or {}
    waiting = data.get("waitingAt")
    found = query.get("activityIdIn") if isinstance(query, Mapping) else None
    if found:
        if not _one_name(found):
            raise InvalidInput("processInstanceQuery.activityIdIn must name one element", code="invalid_input",
                               details=[{"field": "processInstanceQuery.activityIdIn"}])
        waiting = found[0]
    elif not isinstance(query, Mapping):
        raise InvalidInput("processInstanceQuery must be an object", code="invalid_input",
                           details=[{"field": "processInstanceQuery"}])
    if waiting is not None and (not isinstance(waiting, str) or not waiting.strip()):
        raise InvalidInput("waitingAt must be an element id", code="invalid_input", details=[{"field": "waitingAt"}])
    return Selection(tuple(dict.fromkeys(ids)), waiting.strip() if waiting else None)


# -- plans ------------------------------------------------------------------------------------------


def generate_plan(session: Session, host: Host, *, actor: Actor, request: PlanRequest) -> MigrationPlan:
    """The plan from source to target version: every element the target keeps maps to itself, the
    hand mappings of `request` on top; the source's activities left without a counterpart are listed."""
    require(actor, ADMIN)
    source, target = _versions(session, actor, request)
    return _plan(host, source, target, request.mapping)


def _versions(session: Session, actor: Actor, request: PlanRequest) -> tuple[ProcessModelVersion, ProcessModelVersion]:
    if request.source_version == request.target_version:
        raise InvalidInput(f"source and target are both version {request.source_version} of {request.model_key}; "
                           "migrate to another version", code="same_version",
                           details=[{"field": "targetVersion"}])
    return (migration.model_version(session, actor.environment_id, request.model_key, request.source_version),
            migration.model_version(session, actor.environment_id, request.model_key, request.target_version))


def _plan(host: Host, source: ProcessModelVersion, target: ProcessModelVersion,
          mapping: Mapping[str, str]) -> MigrationPlan:
    old, new = instances.compiled(host, source), instances.compiled(host, target)
    unknown = [{"field": "sourceActivityIds", "activityId": e, "version": source.version}
               for e in mapping if e not in old.elements]
    unknown += [{"field": "targetActivityIds", "activityId": e, "version": target.version}
                for e in mapping.values() if e not in new.elements]
    if unknown:
        names = ", ".join(f"{d['activityId']} (version {d['version']})" for d in unknown)
        raise InvalidInput(f"the plan names elements the model does not have: {names}", code="unknown_activity",
                           details=unknown)
    old_activities, new_activities = activities(old), activities(new)
    pairs = {e: e for e in old_activities if e in new.elements}
    pairs.update(mapping)
    unmapped = tuple(Activity(e, name, kind) for e, (name, kind) in old_activities.items() if e not in pairs)
    return MigrationPlan(source.key, source.version, target.version, tuple(sorted(pairs.items())), unmapped,
                         tuple(Activity(e, name, kind) for e, (name, kind) in new_activities.items()))


# -- dry run and execution -------------------------------------------------------------------------


def validate_migration(session: Session, host: Host, *, actor: Actor, request: PlanRequest,
                       selection: Selection) -> MigrationReport:
    """The dry run: for each selected instance whether it can move under the plan, and why not. Changes nothing."""
    require(actor, ADMIN)
    source, target = _versions(session, actor, request)
    plan = _plan(host, source, target, request.mapping)
    reports = []
    for instance in migration.instances_of(session, source, selection.instance_ids):
        checked, _run = migration.check(session, host, actor=actor, instance=instance, source=source,
                                        target=target, mapping=plan.mapping)
        if _selected(checked, selection):
            reports.append(InstanceReport(instance.id, instance.business_key, checked.waiting, checked.can_move,
                                          checked.reasons))
    _missing(selection, reports)
    return MigrationReport(plan, tuple(reports))


def _selected(checked: migration.Check, selection: Selection) -> bool:
    return selection.waiting_at is None or selection.waiting_at in checked.waiting


def _missing(selection: Selection, reports: Sequence[InstanceReport]) -> None:
    """A named instance that is not found (or of another environment) is a 404, as everywhere."""
    found = {r.instance_id for r in reports}
    for instance_id in selection.instance_ids:
        if instance_id not in found and selection.waiting_at is None:
            raise NotFound(f"process instance {instance_id} not found", code="instance_not_found")


def request_for_instance(session: Session, *, actor: Actor, instance_id: int, target_version: int,
                         mapping: Mapping[str, str]) -> PlanRequest:
    """The plan that moves one instance from the version it runs on (a batch mixes versions)."""
    instance = instances.get_instance(session, actor.environment_id, instance_id)
    current = session.get(ProcessModelVersion, instance.model_version_id)
    if current is None:  # pragma: no cover - a foreign key keeps it
        raise NotFound(f"the model version of instance {instance_id} is gone")
    return PlanRequest(current.key, current.version, target_version, mapping)


def migrate_instance(session: Session, host: Host, *, actor: Actor, instance_id: int, request: PlanRequest,
                     edge: str, reason: str | None = None, batch_id: int | None = None) -> MigrationResult:
    """Move one instance in the caller's transaction (flush only). An instance that cannot move is left
    untouched and answered with its reasons; one that moved has one `admin.migrated` audit entry."""
    require(actor, ADMIN)
    if edge not in EDGES:
        raise ValueError(f"unknown edge {edge!r}")  # a programming error in an edge, not user input
    source, target = _versions(session, actor, request)
    plan = _plan(host, source, target, request.mapping)
    instance = instances.get_instance(session, actor.environment_id, instance_id)
    checked, run = migration.check(session, host, actor=actor, instance=instance, source=source, target=target,
                                   mapping=plan.mapping)
    if not checked.can_move or run is None:
        return InstanceReport(instance.id, instance.business_key, checked.waiting, False, checked.reasons)
    before = {"version": source.version, "waiting": list(checked.waiting)}
    after = migration.migrate(session, host, actor=actor, instance=instance, run=run, source=source, target=target,
                              mapping=plan.mapping, note=(reason or "").strip() or None, edge=edge,
                              batch_id=batch_id)
    session.flush()
    return InstanceReport(instance.id, instance.business_key, checked.waiting, True, (), migrated=True,
                          before=before, after={"version": after["version"], "waiting": after["waiting"]})


def execute_migration(host: Host, *, actor: Actor, request: PlanRequest, selection: Selection, edge: str,
                      reason: str | None = None) -> MigrationReport:
    """Move the selected instances, each in a transaction of its own: one that cannot move or fails is
    left as it was and reported with the reason; the others are committed one by one."""
    with host.db.unit_of_work() as session:
        checked = validate_migration(session, host, actor=actor, request=request, selection=selection)
    reports = []
    for planned in checked.instances:
        reports.append(_migrate_one(host, actor=actor, planned=planned, request=checked.plan.request, edge=edge,
                                    reason=reason))
    return MigrationReport(checked.plan, tuple(reports), executed=True)


def _migrate_one(host: Host, *, actor: Actor, planned: InstanceReport, request: PlanRequest, edge: str,
                 reason: str | None) -> InstanceReport:
    if not planned.can_move:
        return planned
    try:
        with host.db.unit_of_work() as session:
            return migrate_instance(session, host, actor=actor, instance_id=planned.instance_id, request=request,
                                    edge=edge, reason=reason)
    except DomainError as exc:
        failure = migration.Reason("", "", exc.message, exc.code)
    except Exception as exc:
        log.exception("migrating instance %s failed", planned.instance_id)
        failure = migration.Reason("", "", f"the migration failed ({type(exc).__name__}: {exc}); the instance "
                                   "was left as it was", "migration_failed")
    return dataclasses.replace(planned, can_move=False, reasons=(failure,))
