"""CSV import of master data, all or nothing: every bad row is reported with its line number.

Files are UTF-8 with or without a byte-order mark; the delimiter (";", "," or tab) is the one the
header line uses most. Headers are case-insensitive. Numbers take a decimal point or a decimal comma
("1.234,50" and "1234.50" are equal), dates are ISO (2026-03-01) or day-month-year (01-03-2026),
flags are 1/0, true/false, yes/no, ja/nee (empty is no). Rows are keyed by their natural key (supplier
code, IBAN per supplier, order number, ...): a known key updates, a new one creates. Line numbers are
physical lines of the file, the header being line 1.

This module reads and checks a file; `bulk.py` writes it (the one import path every edge takes through
`operations.masterdata.import_master_data`), auditing each record created or changed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from server.errors import InvalidInput
from server.masterdata import orders, parties
from server.masterdata.inputs import (
    AdministrationInput,
    BankAccountInput,
    OrderInput,
    OrderLineInput,
    ReceiptInput,
    RuleInput,
    SupplierInput,
)
from server.masterdata.problems import Problem, at_line, problem

TRUE = {"1", "true", "yes", "y", "ja", "j", "x"}
FALSE = {"", "0", "false", "no", "n", "nee"}
IDENTIFIER_COLUMNS = {"kvk": "0106", "vat": "VAT", "gln": "0088"}
_IDENTIFIER_GAPS = re.compile(r"[\s|]+")


class Row:
    """One CSV record's values by column, collecting conversion problems instead of stopping."""

    def __init__(self, values: dict[str, str]):
        self.values = values
        self.problems: list[Problem] = []

    def text(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def _fail(self, name: str, code: str, **values: Any) -> None:
        self.problems.append(problem(code, name, **values))

    def decimal(self, name: str) -> Decimal:
        raw = self.text(name).replace(" ", "")
        if "," in raw:
            # A decimal comma: dots (if any) separate thousands.
            raw = raw.replace(".", "").replace(",", ".")
        try:
            value = Decimal(raw)
            if value.is_finite():
                return value
        except InvalidOperation:
            pass
        if raw:
            self._fail(name, "not_number", value=self.text(name))
        else:
            self._fail(name, "missing_field")
        return Decimal(0)

    def date(self, name: str) -> dt.date:
        raw = self.text(name)
        for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(raw, pattern).date()
            except ValueError:
                continue
        if raw:
            self._fail(name, "not_date", value=raw)
        else:
            self._fail(name, "missing_field")
        return dt.date.min

    def flag(self, name: str) -> bool:
        raw = self.text(name).lower()
        if raw not in TRUE | FALSE:
            self._fail(name, "not_flag", value=raw)
        return raw in TRUE

    def identifiers(self) -> tuple[tuple[str, str], ...]:
        found = ((scheme, self.text(column)) for column, scheme in IDENTIFIER_COLUMNS.items())
        pairs = [(scheme, value) for scheme, value in found if value]
        listed = self.text("identifiers")
        for token in _IDENTIFIER_GAPS.split(listed) if listed else ():
            if token:
                scheme, sep, value = token.partition(":")
                if not sep:
                    self._fail("identifiers", "identifier_form", value=token)
                pairs.append((scheme, value))
        return tuple(pairs)


@dataclass(frozen=True)
class Kind:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    build: Callable[[Row], Any]
    save: Callable[..., tuple[Any, bool]]
    # The row's keys a file may hold once: (field, the problem code of a repeat, key values).
    keys: Callable[[Any], list[tuple[str, str, tuple[Any, ...]]]] = field(default=lambda data: [])


def _supplier(row: Row) -> SupplierInput:
    return SupplierInput(
        code=row.text("code"), name=row.text("name"), address_line1=row.optional("address_line1"),
        address_line2=row.optional("address_line2"), postal_code=row.optional("postal_code"),
        city=row.optional("city"), country=row.optional("country"), email=row.optional("email"),
        language=row.optional("language"), identifiers=row.identifiers(),
    )  # fmt: skip


def _bank_account(row: Row) -> BankAccountInput:
    return BankAccountInput(
        supplier_code=row.text("supplier_code"), iban=row.text("iban"), bic=row.optional("bic"),
        preferred=row.flag("preferred"),
    )  # fmt: skip


def _bank_keys(data: BankAccountInput) -> list[tuple[str, str, tuple[Any, ...]]]:
    iban = data.iban.replace(" ", "").upper()
    keys: list[tuple[str, str, tuple[Any, ...]]] = [("iban", "duplicate_key", (data.supplier_code, iban))]
    if data.preferred:
        keys.append(("preferred", "second_preferred", (data.supplier_code,)))
    return keys


def _administration(row: Row) -> AdministrationInput:
    return AdministrationInput(
        code=row.text("code"), name=row.text("name"), city=row.optional("city"), identifiers=row.identifiers()
    )


def _order(row: Row) -> OrderInput:
    return OrderInput(
        number=row.text("number"), supplier_code=row.text("supplier_code"),
        administration_code=row.optional("administration_code"), status=row.text("status").lower() or "released",
    )  # fmt: skip


def _order_line(row: Row) -> OrderLineInput:
    return OrderLineInput(
        order_number=row.text("order_number"), line_number=row.text("line_number"), quantity=row.decimal("quantity"),
        unit_price=row.decimal("unit_price"), item_id=row.optional("item_id"), description=row.text("description"),
        ledger_account=row.optional("ledger_account"), matching_handled=row.flag("matching_handled"),
    )  # fmt: skip


def _receipt(row: Row) -> ReceiptInput:
    return ReceiptInput(
        order_number=row.text("order_number"), line_number=row.text("line_number"), reference=row.text("reference"),
        quantity=row.decimal("quantity"), received_on=row.date("received_on"),
    )  # fmt: skip


def _rule(row: Row) -> RuleInput:
    return RuleInput(
        pattern=row.text("pattern"), ledger_account=row.text("ledger_account"),
        supplier_code=row.optional("supplier_code"), is_regex=row.flag("is_regex"),
        review_via_workflow=row.flag("review_via_workflow"),
    )  # fmt: skip


IDENTIFIERS = ("kvk", "vat", "gln", "identifiers")
KINDS: dict[str, Kind] = {
    "suppliers": Kind(
        ("code", "name"),
        ("address_line1", "address_line2", "postal_code", "city", "country", "email", "language", *IDENTIFIERS),
        _supplier, parties.save_supplier, lambda d: [("code", "duplicate_key", (d.code,))],
    ),
    "bank_accounts": Kind(("supplier_code", "iban"), ("bic", "preferred"), _bank_account,
                           parties.save_bank_account, _bank_keys),
    "administrations": Kind(
        ("code", "name"), ("city", *IDENTIFIERS), _administration, parties.save_administration,
        lambda d: [("code", "duplicate_key", (d.code,))],
    ),
    "purchase_orders": Kind(
        ("number", "supplier_code"), ("administration_code", "status"), _order, orders.save_order,
        lambda d: [("number", "duplicate_key", (d.number,))],
    ),
    "order_lines": Kind(
        ("order_number", "line_number", "quantity", "unit_price"),
        ("item_id", "description", "ledger_account", "matching_handled"), _order_line, orders.save_order_line,
        lambda d: [("line_number", "duplicate_key", (d.order_number, d.line_number))],
    ),
    "goods_receipts": Kind(
        ("order_number", "line_number", "reference", "quantity", "received_on"), (), _receipt, orders.save_receipt,
        lambda d: [("reference", "duplicate_key", (d.order_number, d.line_number, d.reference))],
    ),
    "matching_rules": Kind(
        ("pattern", "ledger_account"), ("supplier_code", "is_regex", "review_via_workflow"), _rule,
        orders.save_rule, lambda d: [("pattern", "duplicate_key", (d.supplier_code or "", d.pattern))],
    ),
}  # fmt: skip


def rows_as_csv(rows: Any) -> bytes:
    """JSON rows ([{column: value, ...}, ...]) as the CSV file the same checks read."""
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise InvalidInput('send {"rows": [{column: value, ...}, ...]}', code="invalid_json")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=",")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in columns])
    return buffer.getvalue().encode("utf-8")


def as_csv(*, data: bytes = b"", rows: Any = None) -> bytes:
    """The import as CSV: JSON `rows`, a JSON file (a list of rows or {"rows": [...]}) or CSV as sent."""
    if rows is not None:
        return rows_as_csv(rows)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head not in (b"[", b"{"):
        return data
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"the JSON file is not readable: {exc}", code="invalid_json") from None
    return rows_as_csv(parsed.get("rows") if isinstance(parsed, dict) else parsed)


def decode(data: bytes) -> tuple[str | None, list[Problem]]:
    """The file as text, or None and its problem (with its line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [at_line(line, problem("not_utf8"))]
    if not text.strip():
        return None, [at_line(1, problem("empty_file"))]
    return text, []


def header(names: list[str], kind: Kind) -> tuple[list[str], list[Problem]]:
    """The header's column names (lower case, spaces as underscores) and its problems (line 1)."""
    columns = [re.sub(r"\s+", "_", name.strip().lower()) for name in names]
    errors = [at_line(1, problem("unknown_column", c)) for c in columns if c not in kind.required + kind.optional]
    errors += [at_line(1, problem("missing_column", c)) for c in kind.required if c not in columns]
    return columns, errors


def reader(text: str) -> Any:
    """A csv.reader with the delimiter the header line uses most."""
    first = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
