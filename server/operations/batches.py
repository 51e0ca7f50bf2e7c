"""Batches: suspend, resume, retry or terminate many instances chosen by a filter, as a background job.

The verbs behind the API, the pages and `stroom batches`: `count_batch` (the dry count),
`start_batch` (selects the instances now, queues a `batch` job), `list_batches`, `show_batch`
(progress and per-instance results, paged) and `cancel_batch`. `run_batch` is what the job worker
(and `stroom batches start`) runs: each instance in its own transaction, through the kind's
single-instance operation (server.operations.batch_kinds), so an instance that cannot be changed is
recorded as failed with the operation's message and the rest go on. A cancel stops the runner after
the instance in progress; the instances it did not reach are `not_attempted`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from server import leases
from server.audit import service as audit
from server.auth import service as auth
from server.auth.actor import Actor
from server.auth.models import User
from server.auth.permissions import require
from server.batches.models import ENDED, LIVE, Batch, BatchItem
from server.batches.selection import matching, parse_filter
from server.db import Database, utcnow
from server.errors import Conflict, DomainError, InvalidInput, NotFound
from server.host import Host
from server.instances import admin
from server.instances.models import ProcessInstance
from server.jobs import service as jobs
from server.operations.batch_kinds import BatchKind, StepInput, batch_kind

log = logging.getLogger("stroom.batches")
ADMIN = "instances.admin"
JOB_KIND = "batch"
EDGES = ("api", "page", "cli")
RESULTS = ("pending", "succeeded", "failed", "not_attempted")
MAX_LIMIT = 200
CHUNK = 200  # pending items read at a time
Progress = Callable[[int, int], None]  # (instances processed, total)


@dataclasses.dataclass(frozen=True)
class BatchView:
    """A batch as every edge shows it: what, who, the filter, and its progress or result."""

    id: int
    kind: str
    edge: str
    actor: str
    reason: str
    filter: Mapping[str, Any]
    status: str  # queued, running, cancelling, completed, cancelled
    total: int
    succeeded: int
    failed: int
    cancelled_by: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @property
    def ended(self) -> bool:
        return self.status in ENDED

    @property
    def processed(self) -> int:
        return self.succeeded + self.failed

    @property
    def not_attempted(self) -> int:
        """Instances a cancel left untouched (0 unless the batch was cancelled)."""
        return self.total - self.processed if self.status == "cancelled" else 0

    def to_json(self) -> dict[str, Any]:
        body = dataclasses.asdict(self)
        body.update(filter=dict(self.filter), ended=self.ended, processed=self.processed,
                    not_attempted=self.not_attempted, remaining=0 if self.ended else self.total - self.processed,
                    **{k: _iso(getattr(self, k)) for k in ("created_at", "started_at", "finished_at")})
        return body


@dataclasses.dataclass(frozen=True)
class BatchCount:
    """The dry count: how many instances a batch of `kind` with this filter would act on now."""

    kind: str
    filter: Mapping[str, Any]
    count: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "filter": dict(self.filter), "count": self.count}


@dataclasses.dataclass(frozen=True)
class BatchDetail:
    """A batch with one page of its per-instance results (in instance order) and the next page's start."""

    batch: BatchView
    items: tuple[Mapping[str, Any], ...]
    next_after: int | None

    def to_json(self) -> dict[str, Any]:
        return {**self.batch.to_json(), "items": [dict(i) for i in self.items]}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _view(row: Batch) -> BatchView:
    return BatchView(id=row.id, kind=row.kind, edge=row.edge, actor=row.actor, reason=row.reason,
                     filter=dict(row.filter or {}), status=row.status, total=row.total, succeeded=row.succeeded,
                     failed=row.failed, cancelled_by=row.cancelled_by, created_at=row.created_at,
                     started_at=row.started_at, finished_at=row.finished_at)


def _get(session: Session, actor: Actor, batch_id: int, *, lock: bool = False) -> Batch:
    row = session.get(Batch, batch_id, with_for_update=lock)
    if row is None or row.environment_id != actor.environment_id:
        raise NotFound(f"batch {batch_id} not found", code="batch_not_found")
    return row


def count_batch(session: Session, *, actor: Actor, kind: str, filter: Mapping[str, Any]) -> BatchCount:
    """How many of the environment's instances a batch of `kind` would act on now (the states the kind
    applies to, matching the filter); 422 naming a bad kind or filter field."""
    require(actor, ADMIN)
    chosen, checked = batch_kind(kind), parse_filter(filter)
    query = matching(actor.environment_id, checked, statuses=chosen.statuses, needs_incident=chosen.needs_incident)
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return BatchCount(kind=chosen.name, filter=checked.to_json(), count=count)


def start_batch(session: Session, *, actor: Actor, edge: str, kind: str, filter: Mapping[str, Any],
                reason: str | None, options: Mapping[str, Any] | None = None) -> BatchView:
    """Select the matching instances now and queue the batch for the worker (flush only; the caller
    commits). 422 for a bad kind, filter, option or reason, or when no instance matches."""
    require(actor, ADMIN)
    if edge not in EDGES:
        raise ValueError(f"unknown edge {edge!r}")
    chosen, checked = batch_kind(kind), parse_filter(filter)
    settings, why = chosen.check_options(options or {}), admin.checked_reason(reason)
    row = Batch(environment_id=actor.environment_id, kind=chosen.name, edge=edge, actor_type=actor.kind,
                actor=actor.name, user_id=actor.user_id, reason=why, filter=checked.to_json(), options=settings,
                status="queued", total=0, succeeded=0, failed=0)
    session.add(row)
    session.flush()
    ids = matching(actor.environment_id, checked, statuses=chosen.statuses,
                   needs_incident=chosen.needs_incident).order_by(None).subquery()
    session.execute(insert(BatchItem).from_select(
        ["batch_id", "instance_id", "status"], select(literal(row.id), ids.c.id, literal("pending"))))
    row.total = session.scalar(select(func.count()).where(BatchItem.batch_id == row.id)) or 0
    if not row.total:
        raise InvalidInput(f"no instance matches the filter for {chosen.name}", code="nothing_matches",
                           details=[{"field": "filter", "message": "matches no instance"}])
    jobs.enqueue(session, JOB_KIND, {"batch_id": row.id}, environment_id=actor.environment_id, max_attempts=3)
    audit.record(session, actor=actor, action="batch.started", target_type="batch", target_id=row.id, note=why,
                 after={"kind": row.kind, "filter": row.filter, "options": settings, "total": row.total,
                        "edge": edge})
    return _view(row)


def list_batches(session: Session, *, actor: Actor, limit: int = 50,
                 before_id: int | None = None) -> tuple[list[BatchView], int | None]:
    """The environment's batches, newest first, keyset-paged on id: a page and the id to page on from."""
    require(actor, ADMIN)
    _check_limit(limit)
    query = select(Batch).where(Batch.environment_id == actor.environment_id)
    if before_id is not None:
        query = query.where(Batch.id < before_id)
    rows = list(session.scalars(query.order_by(Batch.id.desc()).limit(limit + 1)))
    page = [_view(row) for row in rows[:limit]]
    return page, (page[-1].id if len(rows) > limit else None)


def show_batch(session: Session, *, actor: Actor, batch_id: int, limit: int = 50, after: int | None = None,
               result: str | None = None) -> BatchDetail:
    """The batch's progress and a page of its per-instance results (`result`: only those of one outcome)."""
    require(actor, ADMIN)
    _check_limit(limit)
    if result is not None and result not in RESULTS:
        raise InvalidInput(f"result must be one of {', '.join(RESULTS)}", code="invalid_query",
                           details=[{"field": "result", "message": f"use one of {', '.join(RESULTS)}"}])
    row = _get(session, actor, batch_id)
    query = (select(BatchItem, ProcessInstance.model_key, ProcessInstance.business_key)
             .outerjoin(ProcessInstance, ProcessInstance.id == BatchItem.instance_id)
             .where(BatchItem.batch_id == row.id))
    if result is not None:
        query = query.where(BatchItem.status == result)
    if after is not None:
        query = query.where(BatchItem.id > after)
    found = session.execute(query.order_by(BatchItem.id).limit(limit + 1)).all()
    items = tuple({"instance_id": item.instance_id, "model_key": model, "business_key": key, "result": item.status,
                   "reason": item.reason, "finished_at": _iso(item.finished_at)} for item, model, key in found[:limit])
    return BatchDetail(batch=_view(row), items=items, next_after=found[limit - 1][0].id if len(found) > limit else None)


def cancel_batch(session: Session, *, actor: Actor, batch_id: int, edge: str) -> BatchView:
    """Stop a batch: a queued one at once, a running one after the instance in progress; the instances
    not reached are `not_attempted`. Conflict when it has already ended."""
    require(actor, ADMIN)
    row = _get(session, actor, batch_id, lock=True)
    if row.status in ENDED or row.status == "cancelling":
        raise Conflict(f"batch {batch_id} is {row.status}; there is nothing to cancel", code="batch_ended",
                       details=[{"status": row.status}])
    before, row.cancelled_by = row.status, actor.name
    if row.status == "queued":
        _close(session, row, "cancelled")
    else:
        row.status = "cancelling"
    audit.record(session, actor=actor, action="batch.cancelled", target_type="batch", target_id=row.id,
                 before={"status": before},
                 after={"status": row.status, "succeeded": row.succeeded, "failed": row.failed, "edge": edge})
    return _view(row)


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}", code="invalid_query",
                           details=[{"field": "limit", "message": f"must be 1 to {MAX_LIMIT}"}])


def _close(session: Session, row: Batch, status: str) -> None:
    """End the batch: what it did not reach is not attempted."""
    session.execute(update(BatchItem).where(BatchItem.batch_id == row.id, BatchItem.status == "pending")
                    .values(status="not_attempted").execution_options(synchronize_session=False))
    row.status, row.finished_at = status, utcnow()


# --- the runner -------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Plan:
    id: int
    kind: str
    actor: Actor
    reason: str
    options: Mapping[str, Any]
    total: int


class _Stop(Exception):
    """The batch was cancelled, or another runner moved it on: this runner stops (its change rolls back)."""


def run_batch(host: Host, *, batch_id: int, progress: Progress | None = None) -> None:
    """Run a queued batch (or one whose runner went quiet) here: each instance in its own transaction,
    progress committed with it, then the result. Safe to call from several runners at once."""
    plan = _claim(host.db, batch_id)
    if plan is None:
        return
    kind = batch_kind(plan.kind)
    processed = _processed(host.db, plan.id)
    try:
        for item_id, instance_id in _pending(host.db, plan.id):
            _run_item(host, plan, kind, item_id=item_id, instance_id=instance_id)
            processed += 1
            if progress is not None:
                progress(processed, plan.total)
    except _Stop:
        pass
    _finish(host.db, plan)


def _claim(db: Database, batch_id: int) -> _Plan | None:
    """Mark the batch running for this runner; None when it ended or another runner is alive on it."""
    with db.unit_of_work() as session:
        row = leases.claim(session, Batch, batch_id, now=utcnow())
        if row is None:
            return None
        return _Plan(row.id, row.kind, _actor(session, row), row.reason, dict(row.options or {}), row.total)


def _actor(session: Session, row: Batch) -> Actor:
    """Who started the batch, as they are now: a user who lost the admin role or was deactivated
    meanwhile acts without roles, so each instance fails as Forbidden."""
    if row.actor_type == "system":
        return Actor.system(row.environment_id, row.actor)
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if user is None or not user.active:
        return Actor(kind=row.actor_type, name=row.actor, environment_id=row.environment_id, user_id=row.user_id)
    return auth.make_actor(session, user_id=user.id, login=user.login, environment_id=user.environment_id,
                           kind=row.actor_type)


def _processed(db: Database, batch_id: int) -> int:
    with db.reading() as session:
        return session.scalar(select(Batch.succeeded + Batch.failed).where(Batch.id == batch_id)) or 0


def _pending(db: Database, batch_id: int) -> Any:
    """The pending items, in order, read a chunk at a time."""
    after = 0
    while True:
        with db.reading() as session:
            chunk = session.execute(select(BatchItem.id, BatchItem.instance_id).where(
                BatchItem.batch_id == batch_id, BatchItem.status == "pending", BatchItem.id > after)
                .order_by(BatchItem.id).limit(CHUNK)).all()
        if not chunk:
            return
        yield from ((item_id, instance_id) for item_id, instance_id in chunk)
        after = chunk[-1][0]


def _run_item(host: Host, plan: _Plan, kind: BatchKind, *, item_id: int, instance_id: int) -> None:
    """One instance: its change and its result commit together; a failure is recorded on its own."""
    step = StepInput(actor=plan.actor, instance_id=instance_id, reason=plan.reason, batch_id=plan.id,
                     options=plan.options)
    try:
        with host.db.unit_of_work() as session:
            _go_on(session, plan.id)
            kind.step(session, host, step)
            _result(session, plan.id, item_id, "succeeded")
        return
    except _Stop:
        raise
    except DomainError as exc:
        reason = exc.message
    except Exception as exc:  # one broken instance must not stop the batch
        log.exception("batch %s: instance %s failed", plan.id, instance_id)
        reason = f"unexpected error ({type(exc).__name__}); see the server log"
    with host.db.unit_of_work() as session:
        _result(session, plan.id, item_id, "failed", reason)


def _go_on(session: Session, batch_id: int) -> None:
    """_Stop unless the batch is still running (a cancel, or another runner that ended it)."""
    if session.scalar(select(Batch.status).where(Batch.id == batch_id)) != "running":
        raise _Stop()


def _result(session: Session, batch_id: int, item_id: int, status: str, reason: str | None = None) -> None:
    """Record one instance's result and count it in; _Stop when another runner recorded it first."""
    now = utcnow()
    moved = session.execute(update(BatchItem).where(BatchItem.id == item_id, BatchItem.status == "pending")
                            .values(status=status, reason=reason, finished_at=now)
                            .execution_options(synchronize_session=False))
    if getattr(moved, "rowcount", 0) != 1:
        raise _Stop()
    counter = Batch.succeeded if status == "succeeded" else Batch.failed
    leases.heartbeat(session, Batch, batch_id, now=now, values={counter: counter + 1},
                     only_if=(Batch.status.in_(LIVE),))


def _finish(db: Database, plan: _Plan) -> None:
    """Completed when nothing is pending, cancelled when a cancel stopped it; then the `batch.ended` entry."""
    with db.unit_of_work() as session:
        row = session.get(Batch, plan.id, with_for_update=True)
        if row is None or row.status in ENDED:
            return
        pending = session.scalar(select(func.count()).where(BatchItem.batch_id == row.id,
                                                            BatchItem.status == "pending")) or 0
        if row.status != "cancelling" and pending:
            return  # another runner took over and carries on
        _close(session, row, "cancelled" if row.status == "cancelling" else "completed")
        view = _view(row)
        audit.record(session, actor=plan.actor, action="batch.ended", target_type="batch", target_id=row.id,
                     after={"status": view.status, "total": view.total, "succeeded": view.succeeded,
                            "failed": view.failed, "not_attempted": view.not_attempted})
