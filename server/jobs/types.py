"""What a job handler receives and may answer: frozen views, a reschedule result, typed errors."""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from server.auth.actor import Actor

if TYPE_CHECKING:
    from server.host import Host


@dataclasses.dataclass(frozen=True)
class JobView:
    """A claimed job as handlers see it (never the ORM row, so handlers cannot mark it done)."""

    id: int
    kind: str
    payload: Mapping[str, Any]
    environment_id: int | None
    instance_id: int | None
    attempts: int
    max_attempts: int
    due_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class JobContext:
    """The job, its unit of work, the host and the worker's clock reading."""

    job: JobView
    session: Session
    host: Host
    now: dt.datetime
    worker: str

    @property
    def actor(self) -> Actor:
        """The system actor jobs act as, in the job's environment (0 when it has none)."""
        return Actor.system(self.job.environment_id or 0, "worker")


@dataclasses.dataclass(frozen=True)
class Reschedule:
    """Not now: run the job again at `due_at` without counting an attempt (e.g. a suspended instance)."""

    due_at: dt.datetime
    reason: str = ""


class PermanentJobError(Exception):
    """A failure no retry can fix (e.g. every recipient refused): the job fails at once."""


class LostLease(Exception):
    """Another worker took the job over after this worker's lease ran out; this run must not commit."""


Handler = Callable[[JobContext], "Reschedule | None"]
Handlers = Mapping[str, Handler]


@dataclasses.dataclass(frozen=True)
class Chore:
    """Work a worker does every so often by itself, outside the job queue (no job row waits for it): the
    work claims what it takes, so the workers of several processes may each run it."""

    name: str
    every: dt.timedelta
    run: Callable[[Host, dt.datetime], object]
