"""Leases on long background runs (a batch of instances, a master-data import): who runs one, and when
another runner may take it over.

A run is queued, then running under one runner, whose heartbeat moves with every step it commits; a run
whose heartbeat is older than STALE_AFTER has lost its runner (killed, or its machine gone) and the next
claimer takes it over. The claim locks the run's row (FOR UPDATE on PostgreSQL; on SQLite writers take
turns), so of two runners claiming at once exactly one wins.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from sqlalchemy import ColumnElement, ForeignKey, Integer, String, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.db import UTCDateTime, utcnow

STALE_AFTER = dt.timedelta(seconds=60)  # a running run without a heartbeat this long is taken over


class LeasedRun:
    """The columns every background run shares: whose it is, what it counts to, and its lease.

    A mapped class mixing this in names the statuses its runs end in (`ENDED_STATUSES`); every other
    status but `queued` means a runner holds the run while its heartbeat is fresh."""

    ENDED_STATUSES: ClassVar[tuple[str, ...]]
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    kind: Mapped[str] = mapped_column(String(30))
    edge: Mapped[str] = mapped_column(String(10))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


Run = TypeVar("Run", bound=LeasedRun)


def held(run: LeasedRun, *, now: dt.datetime) -> bool:
    """Whether a live runner holds the run: it has started and beat within STALE_AFTER of `now`."""
    return run.status != "queued" and run.heartbeat_at is not None and now - run.heartbeat_at < STALE_AFTER


def claim(session: Session, model: type[Run], run_id: int, *, now: dt.datetime) -> Run | None:
    """Lock the run's row and take it for this runner (queued becomes running; a stale run keeps its
    status, e.g. cancelling); None when it is gone, has ended, or a live runner holds it. The caller's
    unit of work commits the claim."""
    run = session.get(model, run_id, with_for_update=True)  # two runners must not both take it
    if run is None or run.status in model.ENDED_STATUSES or held(run, now=now):
        return None
    if run.status == "queued":
        run.status = "running"
    run.heartbeat_at, run.started_at = now, run.started_at or now
    return run


def heartbeat(session: Session, model: type[LeasedRun], run_id: int, *, now: dt.datetime,
              values: Mapping[Any, Any], only_if: Iterable[ColumnElement[bool]] = ()) -> bool:
    """Count a step into the run (`values`) and beat its heartbeat, in one UPDATE of the caller's unit of
    work, only where `only_if` still holds; False when it did not (the run ended, or moved on elsewhere)."""
    moved = session.execute(update(model).where(model.id == run_id, *only_if)
                            .values({**values, model.heartbeat_at: now})
                            .execution_options(synchronize_session=False))
    return getattr(moved, "rowcount", 0) == 1
