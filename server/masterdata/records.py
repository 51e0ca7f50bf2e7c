"""Plain frozen snapshots of master data, the input of the pure matcher (no ORM, no session).

Keys are stored normalised (see `normalise.py`): names, postal codes, IBANs, identifier pairs.
Tests and the demo build these directly; `server.invoices.snapshot.snapshot_for` builds them from the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

Identifier = tuple[str, str]


@dataclass(frozen=True)
class BankAccountRecord:
    iban: str
    preferred: bool = False
    bic: str | None = None


@dataclass(frozen=True)
class SupplierRecord:
    id: int
    code: str
    name: str
    normalised_name: str
    postal_code: str = ""
    city: str = ""
    country: str = ""
    identifiers: tuple[Identifier, ...] = ()
    bank_accounts: tuple[BankAccountRecord, ...] = ()

    @property
    def preferred_iban(self) -> str | None:
        """The preferred account's IBAN, if the supplier has one."""
        return next((account.iban for account in self.bank_accounts if account.preferred), None)


@dataclass(frozen=True)
class AdministrationRecord:
    id: int
    code: str
    name: str
    normalised_name: str
    city: str = ""
    identifiers: tuple[Identifier, ...] = ()


@dataclass(frozen=True)
class ReceiptRecord:
    id: int
    quantity: Decimal
    received_on: dt.date | None = None
    reference: str = ""


@dataclass(frozen=True)
class OrderLineRecord:
    id: int
    line_number: str
    quantity: Decimal
    unit_price: Decimal
    item_id: str | None = None
    description: str = ""
    ledger_account: str | None = None
    matching_handled: bool = False
    receipts: tuple[ReceiptRecord, ...] = ()

    @property
    def received_quantity(self) -> Decimal:
        """The total quantity received against this line."""
        return sum((receipt.quantity for receipt in self.receipts), Decimal(0))


@dataclass(frozen=True)
class OrderRecord:
    id: int
    number: str
    supplier_id: int
    status: str = "released"
    administration_id: int | None = None
    lines: tuple[OrderLineRecord, ...] = ()


@dataclass(frozen=True)
class RuleRecord:
    id: int
    pattern: str
    ledger_account: str
    supplier_id: int | None = None
    is_regex: bool = False
    review_via_workflow: bool = False


@dataclass(frozen=True)
class MasterData:
    """The candidate rows matching may pick from (a subset of an environment's master data)."""

    suppliers: tuple[SupplierRecord, ...] = ()
    administrations: tuple[AdministrationRecord, ...] = ()
    orders: tuple[OrderRecord, ...] = ()
    rules: tuple[RuleRecord, ...] = ()
