"""Human tasks: READY user tasks mirrored out of the engine for lists, claims and completion."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

OPEN_STATUSES = ("open", "claimed", "delegated")
DONE_STATUSES = ("completed",)
HIDDEN_STATUSES = ("not_needed",)


class HumanTask(Base):
    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_human_tasks_env_status_due", "environment_id", "status", "due_at"),
        Index("ix_human_tasks_instance_engine_task", "instance_id", "engine_task_id"),
        Index("ix_human_tasks_env_assignee_status", "environment_id", "assignee", "status"),
        Index("ix_human_tasks_delegate", "delegate_environment_id", "delegated_to", "status"),
        Index("ix_human_tasks_env_owner", "environment_id", "owner"),
        Index("ix_human_tasks_env_completed_by", "environment_id", "completed_by"),
        Index("ix_human_tasks_env_process_status", "environment_id", "process_key", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    engine_task_id: Mapped[str] = mapped_column(String(64))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300), default="")
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    owner: Mapped[str | None] = mapped_column(String(100))
    candidate_users: Mapped[list[Any]] = mapped_column(default=list)
    candidate_groups: Mapped[list[Any]] = mapped_column(default=list)
    candidate_roles: Mapped[list[Any]] = mapped_column(default=list)
    form: Mapped[dict[str, Any]] = mapped_column(default=dict)
    supplier_name: Mapped[str | None] = mapped_column(String(300), index=True)
    # the name folded for the task list's supplier filter (masterdata.normalise.search_key; migration 0009)
    supplier_search: Mapped[str | None] = mapped_column(String(300))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), index=True)
    # the invoice's number and currency, copied like supplier and amount so the list needs no join (0020)
    invoice_number: Mapped[str | None] = mapped_column(String(200))
    currency: Mapped[str | None] = mapped_column(String(3))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # delegation follows owner / assignee: the owner gets the task back as "resolved"
    delegated_to: Mapped[str | None] = mapped_column(String(100))
    delegate_environment_id: Mapped[int | None] = mapped_column(ForeignKey("environments.id"))
    delegation_state: Mapped[str | None] = mapped_column(String(20))  # pending, resolved
    comments: Mapped[list[Any]] = mapped_column(default=list)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class TaskCandidate(Base):
    """One row per candidate group, role or user, so list filters use an index, not JSON scans."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_kind_name", "kind", "name", "task_id"),)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)


class SavedTaskFilter(Base):
    """A user's named task list filter (the list's query string), optionally shared read-only with a group."""

    __tablename__ = "saved_task_filters"
    __table_args__ = (
        UniqueConstraint("environment_id", "owner", "name", name="uq_saved_task_filters_owner_name"),
        Index("ix_saved_task_filters_env_group", "environment_id", "group_name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    owner: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))
    group_name: Mapped[str | None] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
