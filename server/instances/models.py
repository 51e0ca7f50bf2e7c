"""Deployed model versions, process instances and their incidents."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class ProcessModelVersion(Base):
    """One deployment of a model key: its sources and the engine's serialized specification."""

    __tablename__ = "process_model_versions"
    __table_args__ = (UniqueConstraint("environment_id", "key", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    process_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300), default="")
    # Sources are read only to compile a version once per process (and by designers): load them lazily.
    bpmn_sources: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True)
    dmn_sources: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True)
    form_sources: Mapped[dict[str, Any]] = mapped_column(default=dict, deferred=True)
    checksum: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(200), default="system")
    deployed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessInstance(Base):
    """A running or finished instance; `state` is the engine's workflow state without the spec."""

    __tablename__ = "process_instances"
    __table_args__ = (Index("ix_process_instances_env_status", "environment_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("process_model_versions.id"), index=True)
    model_key: Mapped[str] = mapped_column(String(200), index=True)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    state: Mapped[str] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(200), default="system")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    # A stale writer's UPDATE ... WHERE lock_version = old matches no row: StaleDataError -> Conflict.
    __mapper_args__ = {"version_id_col": lock_version}


class Incident(Base):
    """A service step that failed; visible to admins until retried or resolved."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_environment_cause", "environment_id", "status", "cause"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    task_id: Mapped[str] = mapped_column(String(64))
    error: Mapped[str] = mapped_column(Text)  # the technical message (exception type and text)
    stack: Mapped[str] = mapped_column(Text, default="")
    # Why, in words a person can act on: a code of server.causes and what its sentence names.
    cause: Mapped[str] = mapped_column(String(40), default="unexpected", server_default="unexpected")
    cause_detail: Mapped[str] = mapped_column(String(500), default="", server_default="")
    job_id: Mapped[int | None] = mapped_column(Integer)  # the given-up job it reports, if any (a mail)
    retries_left: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set once by the one follow-up (the conversion task) the incident may start; see claim_follow_up.
    followed_up_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
