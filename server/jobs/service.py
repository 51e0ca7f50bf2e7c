"""Enqueue jobs in the caller's transaction (the transactional outbox)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from server.db import utcnow
from server.jobs.models import Job


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, due_at: dt.datetime | None = None,
            environment_id: int | None = None, instance_id: int | None = None,
            max_attempts: int = 8) -> Job:
    """Add a job that becomes visible to workers when this transaction commits."""
    job = Job(kind=kind, payload=payload, due_at=due_at or utcnow(), environment_id=environment_id,
              instance_id=instance_id, max_attempts=max_attempts)
    session.add(job)
    session.flush()
    return job
