"""Master data per environment: suppliers, administrations, orders, receipts, matching rules, senders.

Normalised keys (names, IBANs, postal codes, identifier values) are stored beside the raw values
and indexed per environment, because matching looks rows up by them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UTCDateTime, utcnow
from server.leases import LeasedRun

ORDER_STATUSES = ("released", "blocked")


class Supplier(Base):
    """A purchase relation (creditor) that sends invoices."""

    __tablename__ = "suppliers"
    __table_args__ = (
        UniqueConstraint("environment_id", "code"),
        Index("ix_suppliers_env_name", "environment_id", "normalised_name"),
        Index("ix_suppliers_env_postal", "environment_id", "postal_code"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(300))
    normalised_name: Mapped[str] = mapped_column(String(300))
    address_line1: Mapped[str | None] = mapped_column(String(300))
    address_line2: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    email: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    identifiers: Mapped[list[SupplierIdentifier]] = relationship(
        back_populates="supplier", cascade="all, delete-orphan", order_by="SupplierIdentifier.id"
    )
    bank_accounts: Mapped[list[SupplierBankAccount]] = relationship(
        back_populates="supplier", cascade="all, delete-orphan", order_by="SupplierBankAccount.id"
    )


class SupplierIdentifier(Base):
    """A party identifier of a supplier: KvK (0106), VAT, GLN (0088), a Peppol endpoint id, ..."""

    __tablename__ = "supplier_identifiers"
    __table_args__ = (
        UniqueConstraint("supplier_id", "scheme", "value"),
        Index("ix_supplier_identifiers_env_value", "environment_id", "value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    scheme: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))

    supplier: Mapped[Supplier] = relationship(back_populates="identifiers")


class SupplierBankAccount(Base):
    """A bank account of a supplier; at most one per supplier is the preferred one."""

    __tablename__ = "supplier_bank_accounts"
    __table_args__ = (
        UniqueConstraint("supplier_id", "iban"),
        Index("ix_supplier_bank_accounts_env_iban", "environment_id", "iban"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    preferred: Mapped[bool] = mapped_column(Boolean, default=False)

    supplier: Mapped[Supplier] = relationship(back_populates="bank_accounts")


# One preferred account per supplier, enforced by the database (a partial unique index).
Index(
    "uq_supplier_bank_accounts_preferred",
    SupplierBankAccount.supplier_id,
    unique=True,
    postgresql_where=text("preferred"),
    sqlite_where=text("preferred"),
)


class Administration(Base):
    """An own company (administration) that receives invoices."""

    __tablename__ = "administrations"
    __table_args__ = (
        UniqueConstraint("environment_id", "code"),
        Index("ix_administrations_env_name", "environment_id", "normalised_name"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(300))
    normalised_name: Mapped[str] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(200))
    normalised_city: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    identifiers: Mapped[list[AdministrationIdentifier]] = relationship(
        back_populates="administration", cascade="all, delete-orphan", order_by="AdministrationIdentifier.id"
    )


class AdministrationIdentifier(Base):
    """A party identifier of an administration (KvK, VAT id, GLN, Peppol endpoint id)."""

    __tablename__ = "administration_identifiers"
    __table_args__ = (
        UniqueConstraint("administration_id", "scheme", "value"),
        Index("ix_administration_identifiers_env_value", "environment_id", "value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    administration_id: Mapped[int] = mapped_column(ForeignKey("administrations.id", ondelete="CASCADE"))
    scheme: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(100))

    administration: Mapped[Administration] = relationship(back_populates="identifiers")


class PurchaseOrder(Base):
    """An obligation: an order placed with a supplier, released or blocked."""

    __tablename__ = "purchase_orders"
    __table_args__ = (UniqueConstraint("environment_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    number: Mapped[str] = mapped_column(String(100))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    administration_id: Mapped[int | None] = mapped_column(ForeignKey("administrations.id"))
    status: Mapped[str] = mapped_column(String(20), default="released")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )


class OrderLine(Base):
    """One line of a purchase order; `matching_handled` marks a confrontation closed in the ERP."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    line_number: Mapped[str] = mapped_column(String(50))
    item_id: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    ledger_account: Mapped[str | None] = mapped_column(String(50))
    matching_handled: Mapped[bool] = mapped_column(Boolean, default=False)

    order: Mapped[PurchaseOrder] = relationship(back_populates="lines")
    receipts: Mapped[list[GoodsReceipt]] = relationship(
        back_populates="order_line", cascade="all, delete-orphan", order_by="GoodsReceipt.id"
    )


class GoodsReceipt(Base):
    """A quantity received against an order line, identified by the receipt's reference."""

    __tablename__ = "goods_receipts"
    __table_args__ = (UniqueConstraint("order_line_id", "reference"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    reference: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    received_on: Mapped[dt.date] = mapped_column()

    order_line: Mapped[OrderLine] = relationship(back_populates="receipts")


class MatchingRule(Base):
    """A free matching rule: lines of a supplier (or any) whose item name matches go to a ledger account."""

    __tablename__ = "matching_rules"
    __table_args__ = (Index("ix_matching_rules_env_supplier", "environment_id", "supplier_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    pattern: Mapped[str] = mapped_column(Text)
    is_regex: Mapped[bool] = mapped_column(Boolean, default=False)
    ledger_account: Mapped[str] = mapped_column(String(50))
    review_via_workflow: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrustedSender(Base):
    """An e-mail address whose documents are accepted; adding one goes through approval."""

    __tablename__ = "trusted_senders"
    __table_args__ = (UniqueConstraint("environment_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(ForeignKey("environments.id"))
    email: Mapped[str] = mapped_column(String(300))
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MasterDataImport(LeasedRun, Base):
    """One uploaded master-data file and its progress: queued, running, then done, refused or failed.

    The file waits here for the worker (the job carries only the id) and is dropped once the import ends;
    `done` counts data rows written so far and moves only forward, so a second runner notices it lost.
    Who started it, `total` and its lease (server.leases) are the columns every background run has."""

    __tablename__ = "masterdata_imports"
    __table_args__ = (Index("ix_masterdata_imports_env_created", "environment_id", "created_at"),)
    ENDED_STATUSES = ("done", "refused", "failed")
    done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[list[Any]] = mapped_column(default=list)  # refused rows, at most bulk.MAX_REFUSED
    refused_count: Mapped[int | None] = mapped_column(Integer)  # all refused rows; None before 0028
    error: Mapped[str | None] = mapped_column(Text)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)


# The tables invoices are matched against (what a bulk import refreshes the statistics of).
MATCHING_TABLES = tuple(model.__tablename__ for model in (
    Supplier, SupplierIdentifier, SupplierBankAccount, Administration, AdministrationIdentifier, PurchaseOrder,
    OrderLine, GoodsReceipt, MatchingRule))
