"""What callers hand the master-data service: one frozen input per kind, checked field by field.

Related rows are named by their natural keys (supplier code, order number, line number), as CSV
files and ERP exports do. `problems()` lists what is wrong as {"field", "code", "values", "message"}
dictionaries (server.masterdata.problems).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from server.masterdata.models import ORDER_STATUSES
from server.masterdata.normalise import is_valid_iban, normalise_identifier
from server.masterdata.problems import Problem, problem

Problems = list[Problem]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def _required(problems: Problems, **values: str | None) -> None:
    for name, value in values.items():
        if not (value or "").strip():
            problems.append(problem("missing_field", name))


def _max_length(problems: Problems, limits: dict[str, int], values: dict[str, str | None]) -> None:
    for name, limit in limits.items():
        value = values.get(name)
        if value and len(value) > limit:
            problems.append(problem("too_long", name, limit=limit))


def _identifier_problems(problems: Problems, identifiers: tuple[tuple[str, str], ...]) -> None:
    for scheme, value in identifiers:
        normalised = normalise_identifier(scheme, value)
        if not all(normalised):
            problems.append(problem("identifier_incomplete", "identifiers", value=f"{scheme}:{value}"))
        elif len(normalised[0]) > 20 or len(normalised[1]) > 100:
            problems.append(problem("identifier_too_long", "identifiers", value=f"{scheme}:{value}"))


@dataclass(frozen=True)
class SupplierInput:
    code: str
    name: str
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    email: str | None = None
    language: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()

    def problems(self) -> Problems:
        found: Problems = []
        _required(found, code=self.code, name=self.name)
        limits = {"code": 50, "name": 300, "address_line1": 300, "address_line2": 300, "postal_code": 20,
                  "city": 200, "email": 300, "language": 5}  # fmt: skip
        _max_length(found, limits, vars(self))
        if self.country and not _COUNTRY.fullmatch(self.country):
            found.append(problem("bad_country", "country", value=self.country))
        if self.email and not _EMAIL.match(self.email.strip()):
            found.append(problem("bad_email", "email", value=self.email))
        _identifier_problems(found, self.identifiers)
        return found


@dataclass(frozen=True)
class BankAccountInput:
    supplier_code: str
    iban: str
    bic: str | None = None
    preferred: bool = False

    def problems(self) -> Problems:
        found: Problems = []
        _required(found, supplier_code=self.supplier_code, iban=self.iban)
        if self.iban and not is_valid_iban(self.iban):
            found.append(problem("bad_iban", "iban", value=self.iban))
        if self.bic and not _BIC.match(self.bic.replace(" ", "").upper()):
            found.append(problem("bad_bic", "bic", value=self.bic))
        return found


@dataclass(frozen=True)
class AdministrationInput:
    code: str
    name: str
    city: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()

    def problems(self) -> Problems:
        found: Problems = []
        _required(found, code=self.code, name=self.name)
        _max_length(found, {"code": 50, "name": 300, "city": 200}, vars(self))
        _identifier_problems(found, self.identifiers)
        return found


@dataclass(frozen=True)
class OrderInput:
    number: str
    supplier_code: str
    administration_code: str | None = None
    status: str = "released"

    def problems(self) -> Problems:
        found: Problems = []
        _required(found, number=self.number, supplier_code=self.supplier_code)
        _max_length(found, {"number": 100}, vars(self))
        if self.status not in ORDER_STATUSES:
            found.append(problem("bad_status", "status", value=self.status, allowed=", ".join(ORDER_STATUSES)))
        return found


@dataclass(frozen=True)
class OrderLineInput:
    order_number: str
    line_number: str
    quantity: Decimal
    unit_price: Decimal
    item_id: str | None = None
    description: str = ""
    ledger_account: str | None = None
    matching_handled: bool = False

    def problems(self) -> Problems:
        found: Problems = []
        _required(found, order_number=self.order_number, line_number=self.line_number)
        _max_length(
            found, {"line_number": 50, "item_id": 100, "description": 500, "ledger_account": 50}, vars(self)
        )
        if self.quantity <= 0:
            found.append(problem("not_positive", "quantity", value=str(self.quantity)))
        if self.unit_price < 0:
            found.append(problem("negative", "unit_price", value=str(self.unit_price)))
        return found


@dataclass(frozen=True)
class ReceiptInput:
    order_number: str
    line_number: str
    reference: str
    quantity: Decimal
    received_on: dt.date

    def problems(self) -> Problems:
        found: Problems = []
        _required(
            found, order_number=self.order_number, line_number=self.line_number, reference=self.reference
        )
        _max_length(found, {"reference": 100}, vars(self))
        if self.quantity == 0:
            found.append(problem("zero", "quantity"))
        return found


@dataclass(frozen=True)
class RuleInput:
    pattern: str
    ledger_account: str
    supplier_code: str | None = None
    is_regex: bool = False
    review_via_workflow: bool = False

    def problems(self) -> Problems:
        found: Problems = []
        _required(found, pattern=self.pattern, ledger_account=self.ledger_account)
        _max_length(found, {"ledger_account": 50}, vars(self))
        if self.is_regex and self.pattern:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                found.append(problem("bad_pattern", "pattern", reason=str(exc)))
        return found


@dataclass(frozen=True)
class TrustedSenderInput:
    email: str
    added_by: str

    def problems(self) -> Problems:
        found: Problems = []
        _required(found, email=self.email, added_by=self.added_by)
        if self.email and not _EMAIL.match(self.email.strip()):
            found.append(problem("bad_email", "email", value=self.email))
        return found
