"""Timer jobs of an instance: which to arm and which to cancel so they match the timers that wait."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.engine import PendingTimer
from server.jobs import service as jobs
from server.jobs.models import Job

# Stored times may lose sub-second precision; a re-armed timer differs by far more.
SAME_DUE = dt.timedelta(seconds=1)


def plan(session: Session, *, instance_id: int, waiting: Mapping[str, PendingTimer],
         new: bool) -> tuple[tuple[PendingTimer, ...], tuple[int, ...]]:
    """(timers to arm, timer jobs to cancel) so the pending jobs are exactly the `waiting` timers.

    A job is kept only while its timer waits with the same due time: a reset re-arms a boundary timer
    under the same engine id, and the earlier run's job must not fire the new timer. A running job is
    the worker's (it finds the timer gone, or reschedules a cycle). `new`: nothing stored yet."""
    known: set[str] = set()
    stale: list[int] = []
    if not new:
        for job_id, payload, status, due_at in session.execute(select(Job.id, Job.payload, Job.status, Job.due_at)
                                                               .where(Job.instance_id == instance_id,
                                                                      Job.kind == "timer",
                                                                      Job.status.in_(jobs.OPEN_STATUSES))):
            task_id = str((payload or {}).get("task_id"))
            timer = waiting.get(task_id)
            if status == "running" or (timer is not None and _same_timer(timer, due_at, payload)):
                known.add(task_id)
            else:
                stale.append(job_id)
    return tuple(t for t in waiting.values() if t.task_id not in known), tuple(stale)


def _same_timer(timer: PendingTimer, due_at: dt.datetime, payload: Mapping[str, object] | None) -> bool:
    """Whether a job still stands for `timer`: due when the timer is, or armed for the timer's due time
    and moved by an administrator since (`timer_due`, kept by jobs.service.make_due)."""
    if abs(timer.due_at - due_at) <= SAME_DUE:
        return True
    armed = (payload or {}).get("timer_due")
    if not isinstance(armed, str):
        return False
    return abs(timer.due_at - dt.datetime.fromisoformat(armed)) <= SAME_DUE


def apply(session: Session, *, instance_id: int, environment_id: int, arm: tuple[PendingTimer, ...],
          cancel: tuple[int, ...]) -> None:
    """Cancel the stale timer jobs (if still pending) and enqueue one job per timer to arm."""
    if cancel:
        jobs.cancel_pending(session, list(cancel), reason="timer no longer waits")
    for timer in arm:
        jobs.enqueue(session, "timer", {"task_id": timer.task_id, "element_id": timer.element_id},
                     due_at=timer.due_at, environment_id=environment_id, instance_id=instance_id)
