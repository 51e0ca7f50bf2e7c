"""CSV import of master data, all or nothing: every bad row is reported with its line number.

Files are UTF-8 with or without a byte-order mark; the delimiter (";", "," or tab) is the one the
header line uses most. Headers are case-insensitive. Numbers take a decimal point or a decimal comma
("1.234,50" and "1234.50" are equal), dates are ISO (2026-03-01) or day-month-year (01-03-2026),
flags are 1/0, true/false, yes/no, ja/nee (empty is no). Rows are keyed by their natural key (supplier
code, IBAN per supplier, order number, ...): a known key updates, a new one creates. Line numbers are
physical lines of the file, the header being line 1.

Every edge (the API, the admin page, `stroom masterdata import`) calls `import_csv` with its actor
and its name; each record created or changed gets an audit entry with its state before and after
(see `trail.py`), plus one `masterdata.imported` entry with the counts. Unchanged rows write nothing.
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

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.db import refresh_statistics
from server.errors import DomainError, InvalidInput
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
from server.masterdata.models import MATCHING_TABLES
from server.masterdata.trail import EDGES, Trail

TRUE = {"1", "true", "yes", "y", "ja", "j", "x"}
FALSE = {"", "0", "false", "no", "n", "nee"}
IDENTIFIER_COLUMNS = {"kvk": "0106", "vat": "VAT", "gln": "0088"}


@dataclass(frozen=True)
class ImportResult:
    """How many rows were created, changed and found unchanged; with any error nothing was imported."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[dict[str, Any], ...] = ()
    records: int = 0  # audit entries of changed records

    @property
    def ok(self) -> bool:
        return not self.errors


class _Row:
    """One CSV record's values by column, collecting conversion problems instead of stopping."""

    def __init__(self, values: dict[str, str]):
        self.values = values
        self.problems: list[dict[str, str]] = []

    def text(self, name: str) -> str:
        return (self.values.get(name) or "").strip()

    def optional(self, name: str) -> str | None:
        return self.text(name) or None

    def _fail(self, name: str, message: str) -> None:
        self.problems.append({"field": name, "message": message})

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
        self._fail(name, f"{self.text(name)!r} is not a number" if raw else "is required")
        return Decimal(0)

    def date(self, name: str) -> dt.date:
        raw = self.text(name)
        for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
            try:
                return dt.datetime.strptime(raw, pattern).date()
            except ValueError:
                continue
        self._fail(name, f"{raw!r} is not a date (YYYY-MM-DD)" if raw else "is required")
        return dt.date.min

    def flag(self, name: str) -> bool:
        raw = self.text(name).lower()
        if raw not in TRUE | FALSE:
            self._fail(name, f"{raw!r} is not yes or no")
        return raw in TRUE

    def identifiers(self) -> tuple[tuple[str, str], ...]:
        pairs = [(scheme, self.text(column)) for column, scheme in IDENTIFIER_COLUMNS.items() if self.text(column)]
        for token in re.split(r"[\s|]+", self.text("identifiers")):
            if token:
                scheme, sep, value = token.partition(":")
                if not sep:
                    self._fail("identifiers", f"{token!r} is not scheme:value")
                pairs.append((scheme, value))
        return tuple(pairs)


@dataclass(frozen=True)
class _Kind:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    build: Callable[[_Row], Any]
    save: Callable[..., tuple[Any, bool]]
    keys: Callable[[Any], list[tuple[str, str, tuple[Any, ...]]]] = field(default=lambda data: [])


def _supplier(row: _Row) -> SupplierInput:
    return SupplierInput(
        code=row.text("code"), name=row.text("name"), address_line1=row.optional("address_line1"),
        address_line2=row.optional("address_line2"), postal_code=row.optional("postal_code"),
        city=row.optional("city"), country=row.optional("country"), email=row.optional("email"),
        language=row.optional("language"), identifiers=row.identifiers(),
    )  # fmt: skip


def _bank_account(row: _Row) -> BankAccountInput:
    return BankAccountInput(
        supplier_code=row.text("supplier_code"), iban=row.text("iban"), bic=row.optional("bic"),
        preferred=row.flag("preferred"),
    )  # fmt: skip


def _bank_keys(data: BankAccountInput) -> list[tuple[str, str, tuple[Any, ...]]]:
    iban = data.iban.replace(" ", "").upper()
    keys: list[tuple[str, str, tuple[Any, ...]]] = [("iban", "the same bank account", (data.supplier_code, iban))]
    if data.preferred:
        keys.append(("preferred", "another preferred account for this supplier", (data.supplier_code,)))
    return keys


def _administration(row: _Row) -> AdministrationInput:
    return AdministrationInput(
        code=row.text("code"), name=row.text("name"), city=row.optional("city"), identifiers=row.identifiers()
    )


def _order(row: _Row) -> OrderInput:
    return OrderInput(
        number=row.text("number"), supplier_code=row.text("supplier_code"),
        administration_code=row.optional("administration_code"), status=row.text("status").lower() or "released",
    )  # fmt: skip


def _order_line(row: _Row) -> OrderLineInput:
    return OrderLineInput(
        order_number=row.text("order_number"), line_number=row.text("line_number"), quantity=row.decimal("quantity"),
        unit_price=row.decimal("unit_price"), item_id=row.optional("item_id"), description=row.text("description"),
        ledger_account=row.optional("ledger_account"), matching_handled=row.flag("matching_handled"),
    )  # fmt: skip


def _receipt(row: _Row) -> ReceiptInput:
    return ReceiptInput(
        order_number=row.text("order_number"), line_number=row.text("line_number"), reference=row.text("reference"),
        quantity=row.decimal("quantity"), received_on=row.date("received_on"),
    )  # fmt: skip


def _rule(row: _Row) -> RuleInput:
    return RuleInput(
        pattern=row.text("pattern"), ledger_account=row.text("ledger_account"),
        supplier_code=row.optional("supplier_code"), is_regex=row.flag("is_regex"),
        review_via_workflow=row.flag("review_via_workflow"),
    )  # fmt: skip


IDENTIFIERS = ("kvk", "vat", "gln", "identifiers")
# An import this big changes the row counts the query planner relies on (see db.refresh_statistics).
BULK_ROWS = 500
KINDS: dict[str, _Kind] = {
    "suppliers": _Kind(
        ("code", "name"),
        ("address_line1", "address_line2", "postal_code", "city", "country", "email", "language", *IDENTIFIERS),
        _supplier, parties.save_supplier, lambda d: [("code", "the same code", (d.code,))],
    ),
    "bank_accounts": _Kind(("supplier_code", "iban"), ("bic", "preferred"), _bank_account,
                           parties.save_bank_account, _bank_keys),
    "administrations": _Kind(
        ("code", "name"), ("city", *IDENTIFIERS), _administration, parties.save_administration,
        lambda d: [("code", "the same code", (d.code,))],
    ),
    "purchase_orders": _Kind(
        ("number", "supplier_code"), ("administration_code", "status"), _order, orders.save_order,
        lambda d: [("number", "the same order number", (d.number,))],
    ),
    "order_lines": _Kind(
        ("order_number", "line_number", "quantity", "unit_price"),
        ("item_id", "description", "ledger_account", "matching_handled"), _order_line, orders.save_order_line,
        lambda d: [("line_number", "the same order line", (d.order_number, d.line_number))],
    ),
    "goods_receipts": _Kind(
        ("order_number", "line_number", "reference", "quantity", "received_on"), (), _receipt, orders.save_receipt,
        lambda d: [("reference", "the same receipt", (d.order_number, d.line_number, d.reference))],
    ),
    "matching_rules": _Kind(
        ("pattern", "ledger_account"), ("supplier_code", "is_regex", "review_via_workflow"), _rule,
        orders.save_rule, lambda d: [("pattern", "the same rule", (d.supplier_code or "", d.pattern))],
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


def _error(line: int, problem: dict[str, Any]) -> dict[str, Any]:
    return {"line": line, "field": problem.get("field"), "message": problem["message"]}


def _decode(data: bytes) -> tuple[str | None, list[dict[str, Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [_error(line, {"message": "the file is not UTF-8 text"})]
    if not text.strip():
        return None, [_error(1, {"message": "the file is empty"})]
    return text, []


def _header(names: list[str], kind: _Kind) -> tuple[list[str], list[dict[str, Any]]]:
    columns = [re.sub(r"\s+", "_", name.strip().lower()) for name in names]
    errors = [_error(1, {"field": c, "message": "is an unknown column"})
              for c in columns if c not in kind.required + kind.optional]  # fmt: skip
    errors += [_error(1, {"field": c, "message": "is a required column"}) for c in kind.required if c not in columns]
    return columns, errors


def _reader(text: str) -> Any:
    """A csv.reader with the delimiter the header line uses most."""
    first = text.splitlines()[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def write_rows(session: Session, *, actor: Actor, edge: str, kind: str, data: bytes) -> ImportResult:
    """Check and save one CSV file of one kind row by row, queueing an audit entry per changed record
    (`records`); with any bad row nothing is saved (or audited) and every error is listed."""
    if edge not in EDGES:
        raise ValueError(f"unknown edge {edge!r}")
    spec = KINDS.get(kind)
    if spec is None:
        raise InvalidInput(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    text, errors = _decode(data)
    if text is None:
        return ImportResult(errors=tuple(errors))
    reader = _reader(text)
    try:
        columns, errors = _header(next(reader), spec)
    except csv.Error as exc:
        return ImportResult(errors=(_error(1, {"message": f"unreadable CSV: {exc}"}),))
    if errors:
        return ImportResult(errors=tuple(errors))
    trail = Trail(session, kind, environment_id=actor.environment_id)
    outer = session.begin_nested()
    counts, errors = _import_rows(session, reader, columns, spec, trail, environment_id=actor.environment_id)
    if errors:
        outer.rollback()
        return ImportResult(errors=tuple(errors))
    outer.commit()
    records = trail.write(actor, edge=edge)
    return ImportResult(created=counts[0], updated=counts[1], unchanged=counts[2], records=records)


def import_csv(session: Session, *, actor: Actor, edge: str, kind: str, data: bytes) -> ImportResult:
    """Import one CSV file of one kind into the actor's environment in the caller's transaction, auditing
    each changed record with the edge it came through and the counts as `masterdata.imported`; with any
    bad row nothing is imported (and audited) and every error is listed. The edges queue a background
    import instead (operations.masterdata.import_master_data); this is the in-transaction form."""
    result = write_rows(session, actor=actor, edge=edge, kind=kind, data=data)
    if result.errors:
        return result
    audit.record(session, actor=actor, action="masterdata.imported", target_type="masterdata", target_id=kind,
                 after={"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                        "records_changed": result.records, "edge": edge})
    if result.created + result.updated + result.unchanged >= BULK_ROWS:
        refresh_statistics(session, MATCHING_TABLES)
    return result


def _import_rows(
    session: Session, reader: Any, columns: list[str], spec: _Kind, trail: Trail, *, environment_id: int
) -> tuple[tuple[int, int, int], list[dict[str, Any]]]:
    counts = [0, 0, 0]  # created, updated, unchanged
    errors: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    last_line = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(_error(reader.line_num, {"message": f"unreadable CSV: {exc}"}))
            break
        line, last_line = last_line + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(columns):
            errors.append(_error(line, {"message": f"has {len(values)} fields, the header {len(columns)}"}))
            continue
        row = _Row(dict(zip(columns, values)))
        data = spec.build(row)
        problems = row.problems or data.problems()
        for name, what, key in [] if problems else spec.keys(data):
            if (name, *key) in seen:
                problems.append({"field": name, "message": f"repeats {what} as line {seen[(name, *key)]}"})
            seen[(name, *key)] = line
        if problems:
            errors.extend(_error(line, p) for p in problems)
            continue
        try:
            before = trail.row_before(data)
            with session.begin_nested():
                saved, was_created = spec.save(session, data, environment_id=environment_id)
        except DomainError as exc:
            errors.extend(_error(line, p) for p in (exc.details or [{"message": exc.message}]))
            continue
        except IntegrityError as exc:
            errors.append(_error(line, {"message": f"conflicts with stored data: {exc.orig}"}))
            continue
        changed = trail.row_after(data, saved) != before
        counts[0 if was_created else 1 if changed else 2] += 1
    return (counts[0], counts[1], counts[2]), errors
