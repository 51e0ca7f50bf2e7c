"""The append-only, hash-chained audit log."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("environment_id", "seq"),
        Index("ix_audit_events_env_at", "environment_id", "at"),
        Index("ix_audit_events_instance", "instance_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[int | None] = mapped_column()
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class AuditChainHead(Base):
    """The last link of each environment's chain; its row lock serialises appends per environment."""

    __tablename__ = "audit_chain_heads"
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditKeyedSegment(Base):
    """Where an environment's keyed (HMAC) chain begins; rows before `first_seq` are the old SHA-256 chain.

    Written by migration 0011 for every environment that had entries then. `seal` is an HMAC over the
    environment, `first_seq` and the last old hash, so moving the start or editing an old row (which
    changes the last old hash once the chain is recomputed) no longer verifies. No row: keyed from seq 1.
    """

    __tablename__ = "audit_keyed_segments"
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), primary_key=True)
    first_seq: Mapped[int] = mapped_column(BigInteger)
    legacy_head: Mapped[str] = mapped_column(String(64))
    seal: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditDetail(Base):
    """One record of a batch entry (a chunk of a master-data import): the entry holds a digest of its
    details, so the chain covers them without writing one chained entry per record (server/audit/details.py)."""

    __tablename__ = "audit_details"
    __table_args__ = (
        Index("ix_audit_details_batch", "batch", "position"),
        Index("ix_audit_details_record", "environment_id", "target_type", "target_id"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No key to `environments` (0029): a detail row is written only with its batch entry, whose
    # environment is checked, and environments are never deleted; the check cost about 3.5 us a record.
    environment_id: Mapped[int] = mapped_column()
    batch: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column()
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON {"before", "after"}: hashed as stored
