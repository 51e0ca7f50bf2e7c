"""Received documents (stored before anything else happens) and the invoices parsed from them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class ReceivedDocument(Base):
    __tablename__ = "received_documents"
    __table_args__ = (UniqueConstraint("environment_id", "sha256"),
                      # the few documents not processed yet, for their recovery (migration 0030)
                      Index("ix_received_documents_unprocessed", "received_at",
                            postgresql_where=text("status = 'received'"), sqlite_where=text("status = 'received'")))
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(100), default="application/xml")
    filename: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(20), default="api")
    sender: Mapped[str | None] = mapped_column(String(300))
    received_by: Mapped[str] = mapped_column(String(200), default="system")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="received")
    document_type: Mapped[str | None] = mapped_column(String(50))
    profile: Mapped[str | None] = mapped_column(String(50))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"))
    # Recovery of a document left `received` (server.invoices.recovery): one runner at a time, backing off.
    recovery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    recovery_due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recovery_error: Mapped[str | None] = mapped_column(Text)


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_env_supplier_number", "environment_id", "supplier_key", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("received_documents.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id"), index=True)
    document_type: Mapped[str] = mapped_column(String(20), default="Invoice")
    number: Mapped[str] = mapped_column(String(200))
    supplier_key: Mapped[str] = mapped_column(String(300), default="")
    supplier_name: Mapped[str] = mapped_column(String(300), default="")
    supplier_id: Mapped[int | None] = mapped_column()
    administration_id: Mapped[int | None] = mapped_column()
    issue_date: Mapped[dt.date | None] = mapped_column()
    due_date: Mapped[dt.date | None] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    payable_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    contact_email: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    collection: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="received")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
