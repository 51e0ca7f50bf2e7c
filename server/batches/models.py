"""A batch and its per-instance results (Camunda 7's batch resource)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime
from server.leases import LeasedRun

# queued -> running -> completed; a cancel makes a queued batch cancelled at once and a running one
# cancelling until its runner has finished the instance in progress.
ENDED = ("completed", "cancelled")
LIVE = ("queued", "running", "cancelling")


class Batch(LeasedRun, Base):
    """One verb (`kind`) over the instances a filter matched when the batch started, with its progress.

    `total` is fixed at the start (the matched instances are its items); `succeeded` and `failed` move
    forward one instance at a time, each in the transaction that changed that instance. Who started it and
    its lease (server.leases) are the columns every background run has."""

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_env_id", "environment_id", "id"),)
    ENDED_STATUSES = ENDED
    reason: Mapped[str] = mapped_column(Text)
    filter: Mapped[dict[str, Any]] = mapped_column(default=dict)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    succeeded: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_by: Mapped[str | None] = mapped_column(String(200))


class BatchItem(Base):
    """One instance of a batch: pending, then succeeded or failed (with a plain reason), or not attempted
    when the batch was cancelled before reaching it."""

    __tablename__ = "batch_items"
    __table_args__ = (Index("ix_batch_items_batch_status", "batch_id", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
