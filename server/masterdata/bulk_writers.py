"""Set-based writers for the big master-data kinds: suppliers, bank accounts and order lines (purchase
orders and goods receipts: `bulk_orders`).

Each writer takes one chunk of checked rows, reads what is stored for the whole chunk at once (one
query per table, never one per row), compares each row with it and writes only what changed, with
multi-row Core INSERTs and executemany UPDATEs. Every record created or changed is audited with the
same before/after snapshot `trail.py` takes for the per-row path, as one detail row of the chunk's batch
entry (server/audit/details.py); unchanged rows write nothing.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

from server.audit import details
from server.audit.events import MASTERDATA_CHANGED
from server.auth.actor import Actor
from server.db import insert_many, one_of, update_many
from server.errors import DomainError
from server.masterdata.common import blank_to_none
from server.masterdata.inputs import OrderLineInput, SupplierInput
from server.masterdata.models import (
    OrderLine,
    PurchaseOrder,
    Supplier,
    SupplierBankAccount,
    SupplierIdentifier,
)
from server.masterdata.normalise import (
    normalise_email,
    normalise_iban,
    normalise_identifier,
    normalise_name,
    normalise_postal_code,
)
from server.masterdata.problems import MESSAGES, Problem, problem
from server.masterdata.trail import TARGET_ID_LENGTH, Trail, _number

Rows = Sequence[tuple[int, Any]]  # (line number, checked input)
Prepared = Sequence[tuple[Any, ...]]  # a writer's prepared rows, each starting with its line number
SUPPLIERS: Table = Supplier.__table__  # type: ignore[assignment]
IDENTIFIERS: Table = SupplierIdentifier.__table__  # type: ignore[assignment]
ACCOUNTS: Table = SupplierBankAccount.__table__  # type: ignore[assignment]
ORDERS: Table = PurchaseOrder.__table__  # type: ignore[assignment]
LINES: Table = OrderLine.__table__  # type: ignore[assignment]
SUPPLIER_COLUMNS = ("code", "name", "normalised_name", "address_line1", "address_line2", "postal_code", "city",
                    "country", "email", "language")
LINE_COLUMNS = ("line_number", "item_id", "description", "quantity", "unit_price", "ledger_account",
                "matching_handled")


class MissingReference(Exception):
    """A row names a supplier or order that is not (or no longer) stored, or the database refused it."""

    def __init__(self, line: int, found: Problem):
        super().__init__(found["message"])
        self.line, self.problem = line, found


def _refusal(exc: DomainError) -> Problem:
    """A save verb's refusal as a problem: its own coded problem when it has one, else its English reason."""
    first = exc.details[0] if exc.details and isinstance(exc.details[0], dict) else {}
    if first.get("code") in MESSAGES:
        return problem(first["code"], first.get("field"), **dict(first.get("values") or {}))
    return problem("not_saved", first.get("field") or None, reason=str(first.get("message") or exc.message))


@dataclass
class Counts:
    """Rows created, updated and unchanged, and audit entries written (one per changed record)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    records: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.records += other.records


@dataclass(frozen=True)
class Audience:
    """Who imports through which edge, for the audit entries."""

    actor: Actor
    edge: str
    environment_id: int
    import_id: int | None = None

    def audit(self, session: Session, kind: str, changes: list[details.Change]) -> int:
        """One batch entry for the chunk's changed records of one kind (none when nothing changed)."""
        return details.record_batch(
            session, actor=self.actor, action=MASTERDATA_CHANGED, target_type=f"masterdata.{kind}",
            changes=[(key[:TARGET_ID_LENGTH], before, after) for key, before, after in changes],
            note=f"import via {self.edge}", summary={"edge": self.edge, "import_id": self.import_id})


def _update_many(session: Session, table: Table, columns: Iterable[str], rows: list[dict[str, Any]]) -> None:
    """One executemany UPDATE by id."""
    update_many(session, table, list(columns), rows)


def _differing(columns: Iterable[str], stored: Any, values: dict[str, Any], into: set[str]) -> None:
    """Add to `into` the columns whose new value differs from the stored one. A chunk's UPDATE sets only the
    columns some row of it changes (renaming every supplier: 2 of 10), not every column of every row:
    each is one more array to send and unpack."""
    into.update(c for c in columns if stored[c] != values[c])


# Suppliers


def _supplier_values(data: SupplierInput, environment_id: int) -> dict[str, Any]:
    """The columns `parties._apply_supplier` would set."""
    return {"environment_id": environment_id, "code": data.code.strip(), "name": data.name.strip(),
            "normalised_name": normalise_name(data.name), "address_line1": blank_to_none(data.address_line1),
            "address_line2": blank_to_none(data.address_line2),
            "postal_code": normalise_postal_code(data.postal_code) or None, "city": blank_to_none(data.city),
            "country": (blank_to_none(data.country) or "").upper() or None,
            "email": normalise_email(data.email) or None, "language": blank_to_none(data.language)}


def _supplier_snapshot(values: Any, pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The supplier as `trail._supplier` describes it."""
    keys = ("code", "name", "address_line1", "address_line2", "postal_code", "city", "country", "email", "language")
    return {**{k: values[k] for k in keys}, "identifiers": sorted(f"{s}:{v}" for s, v in pairs)}


def prepare_suppliers(rows: Rows, env: int) -> list[tuple[Any, ...]]:
    """Per row (line, code, column values, identifier pairs, after snapshot, after as JSON)."""
    prepared = []
    for line, data in rows:
        values = _supplier_values(data, env)
        pairs = list(dict.fromkeys(normalise_identifier(s, v) for s, v in data.identifiers))
        after = _supplier_snapshot(values, pairs)
        prepared.append((line, values["code"], values, pairs, after, details.encoded(after)))
    return prepared


def write_suppliers(session: Session, rows: Prepared, *, who: Audience) -> Counts:
    """Create or update the chunk's suppliers and their identifiers (bank accounts are kept)."""
    env, counts = who.environment_id, Counts()
    changes: list[details.Change] = []
    found = {r.code: r for r in session.execute(
        select(SUPPLIERS.c.id, *(SUPPLIERS.c[c] for c in SUPPLIER_COLUMNS))  # no timestamps to convert
        .where(SUPPLIERS.c.environment_id == env, one_of(session, SUPPLIERS.c.code, [row[1] for row in rows])))}
    stored: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    if found:
        for sid, iid, scheme, value in session.execute(
                select(IDENTIFIERS.c.supplier_id, IDENTIFIERS.c.id, IDENTIFIERS.c.scheme, IDENTIFIERS.c.value)
                .where(one_of(session, IDENTIFIERS.c.supplier_id, [r.id for r in found.values()]))):
            stored[sid].append((iid, scheme, value))
    new: list[tuple[dict[str, Any], list[tuple[str, str]]]] = []
    changed: list[dict[str, Any]] = []
    differing: set[str] = set()
    drop: list[int] = []
    add: list[dict[str, Any]] = []
    for _, code, values, pairs, after, after_json in rows:
        row = found.get(code)
        if row is None:
            new.append((values, pairs))
            changes.append((code, None, after_json))
            continue
        current = stored[row.id]
        before = _supplier_snapshot(row._mapping, [(s, v) for _, s, v in current])
        if before == after and row.normalised_name == values["normalised_name"]:
            counts.unchanged += 1
            continue
        if before != after:
            counts.updated += 1
            changes.append((code, before, after_json))
        else:
            counts.unchanged += 1  # only the stored key is refreshed: nothing an auditor reads changed
        changed.append({"id": row.id, **values})
        _differing(SUPPLIER_COLUMNS, row._mapping, values, differing)
        have = {(s, v) for _, s, v in current}
        drop += [iid for iid, s, v in current if (s, v) not in pairs]
        add += [{"environment_id": env, "supplier_id": row.id, "scheme": s, "value": v}
                for s, v in pairs if (s, v) not in have]
    counts.created = len(new)
    if drop:
        session.execute(delete(IDENTIFIERS).where(one_of(session, IDENTIFIERS.c.id, drop)))
    _update_many(session, SUPPLIERS, [c for c in SUPPLIER_COLUMNS if c in differing], changed)
    if new:
        # Then the new ids in one read (insert_many returns none: on SQLite that keeps it one executemany).
        insert_many(session, SUPPLIERS, [values for values, _ in new])
        ids = dict(session.execute(select(SUPPLIERS.c.code, SUPPLIERS.c.id).where(
            SUPPLIERS.c.environment_id == env, one_of(session, SUPPLIERS.c.code, [v["code"] for v, _ in new]))).all())
        add += [{"environment_id": env, "supplier_id": ids[values["code"]], "scheme": s, "value": v}
                for values, pairs in new for s, v in pairs]
    insert_many(session, IDENTIFIERS, add)
    counts.records = who.audit(session, "supplier", changes)
    return counts


# Bank accounts


def _accounts_snapshot(code: str, accounts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A supplier's accounts as `trail._accounts` describes them."""
    ordered = sorted(accounts, key=lambda a: a["iban"])
    return {"supplier": code, "preferred_iban": next((a["iban"] for a in ordered if a["preferred"]), None),
            "accounts": [{"iban": a["iban"], "bic": a["bic"], "preferred": a["preferred"]} for a in ordered]}


def _check_known(rows: Prepared, ids: dict[str, int], code: str, field: str) -> None:
    """MissingReference at the first row whose key (its second item) is not in `ids`."""
    for row in rows:
        if row[1] not in ids:
            raise MissingReference(row[0], problem(code, field, value=row[1]))


def prepare_bank_accounts(rows: Rows, env: int) -> list[tuple[Any, ...]]:
    """Per row (line, supplier code, IBAN, BIC, preferred), as `_apply_account` sets them."""
    return [(line, data.supplier_code.strip(), normalise_iban(data.iban),
             (data.bic or "").replace(" ", "").upper() or None, data.preferred) for line, data in rows]


def _apply_account(accounts: dict[str, dict[str, Any]], iban: str, bic: str | None, preferred: bool, env: int,
                   supplier_id: int) -> bool | None:
    """Apply one row to the supplier's accounts in memory: None when created, else whether it changed."""
    account = accounts.get(iban)
    before = None if account is None else (account["bic"], account["preferred"])
    if account is None:
        account = accounts[iban] = {"id": None, "environment_id": env, "supplier_id": supplier_id, "iban": iban,
                                    "bic": None, "preferred": False}
    if preferred:
        for other in accounts.values():
            other["preferred"] = other is account
    account["bic"] = bic
    account["preferred"] = preferred
    return None if before is None else before != (bic, preferred)


def write_bank_accounts(session: Session, rows: Prepared, *, who: Audience) -> Counts:
    """Create or update the chunk's accounts; a preferred one makes the supplier's others not preferred."""
    env, counts = who.environment_id, Counts()
    changes: list[details.Change] = []
    ids = dict(session.execute(select(SUPPLIERS.c.code, SUPPLIERS.c.id).where(
        SUPPLIERS.c.environment_id == env, one_of(session, SUPPLIERS.c.code, sorted({row[1] for row in rows})))).all())
    _check_known(rows, ids, "unknown_supplier", "supplier_code")
    original: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in session.execute(select(ACCOUNTS).where(one_of(session, ACCOUNTS.c.supplier_id, sorted(set(ids.values()))))
                               .order_by(ACCOUNTS.c.id)):
        original[row.supplier_id][row.iban] = dict(row._mapping)
    state = {sid: {iban: dict(a) for iban, a in accounts.items()} for sid, accounts in original.items()}
    for _, code, iban, bic, preferred in rows:
        sid = ids[code]
        outcome = _apply_account(state.setdefault(sid, {}), iban, bic, preferred, env, sid)
        counts.created += outcome is None
        counts.updated += outcome is True
        counts.unchanged += outcome is False
    unset: list[dict[str, Any]] = []
    setting: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for code, sid in ids.items():
        before, after = original.get(sid, {}), state.get(sid, {})
        for iban, account in after.items():
            if account["id"] is None:
                new.append({k: v for k, v in account.items() if k != "id"})
            elif account != before[iban]:
                (setting if account["preferred"] else unset).append(
                    {"id": account["id"], "bic": account["bic"], "preferred": account["preferred"]})
        old, new_snapshot = _accounts_snapshot(code, before.values()), _accounts_snapshot(code, after.values())
        if old != new_snapshot:
            changes.append((code, old, new_snapshot))
    # One preferred account per supplier (a partial unique index): clear flags before setting them.
    _update_many(session, ACCOUNTS, ("bic", "preferred"), unset)
    _update_many(session, ACCOUNTS, ("bic", "preferred"), setting)
    insert_many(session, ACCOUNTS, new)
    counts.records = who.audit(session, "bank_accounts", changes)
    return counts


# Order lines


def _line_values(data: OrderLineInput) -> dict[str, Any]:
    """The columns `orders._apply_line` would set."""
    return {"line_number": data.line_number.strip(), "item_id": blank_to_none(data.item_id),
            "description": (data.description or "").strip(), "quantity": data.quantity,
            "unit_price": data.unit_price, "ledger_account": blank_to_none(data.ledger_account),
            "matching_handled": data.matching_handled}


def _line_snapshot(order: str, values: Any) -> dict[str, Any]:
    """The order line as `trail._line` describes it."""
    return {"order": order, "line_number": values["line_number"], "item_id": values["item_id"],
            "description": values["description"], "quantity": _number(values["quantity"]),
            "unit_price": _number(values["unit_price"]), "ledger_account": values["ledger_account"],
            "matching_handled": bool(values["matching_handled"])}


def prepare_order_lines(rows: Rows, env: int) -> list[tuple[Any, ...]]:
    """Per row (line, order number, column values, after snapshot, after as JSON)."""
    prepared = []
    for line, data in rows:
        number, values = data.order_number.strip(), _line_values(data)
        after = _line_snapshot(number, values)
        prepared.append((line, number, values, after, details.encoded(after)))
    return prepared


def write_order_lines(session: Session, rows: Prepared, *, who: Audience) -> Counts:
    """Create or update the chunk's order lines (an order's other lines are kept)."""
    env, counts = who.environment_id, Counts()
    changes: list[details.Change] = []
    ids = dict(session.execute(select(ORDERS.c.number, ORDERS.c.id).where(
        ORDERS.c.environment_id == env, one_of(session, ORDERS.c.number, sorted({row[1] for row in rows})))).all())
    _check_known(rows, ids, "unknown_order", "order_number")
    stored = {(r.order_id, r.line_number): r for r in session.execute(
        select(LINES.c.id, LINES.c.order_id, *(LINES.c[c] for c in LINE_COLUMNS))
        .where(one_of(session, LINES.c.order_id, sorted(set(ids.values())))))}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    differing: set[str] = set()
    for _, number, values, after, after_json in rows:
        order_id = ids[number]
        row = stored.get((order_id, values["line_number"]))
        if row is None:
            new.append({"environment_id": env, "order_id": order_id, **values})
            changes.append((f"{number}/{values['line_number']}", None, after_json))
            continue
        before = _line_snapshot(number, row._mapping)
        if before == after:
            counts.unchanged += 1
            continue
        counts.updated += 1
        changed.append({"id": row.id, **values})
        _differing(LINE_COLUMNS, row._mapping, values, differing)
        changes.append((f"{number}/{values['line_number']}", before, after_json))
    counts.created = len(new)
    _update_many(session, LINES, [c for c in LINE_COLUMNS if c in differing], changed)
    insert_many(session, LINES, new)
    counts.records = who.audit(session, "order_line", changes)
    return counts


# The smaller kinds (administrations, rules)


@dataclass(frozen=True)
class Writer:
    """How a kind is written: `prepare` turns checked rows into what `write` needs from the rows alone (no
    database: the importer runs it ahead of the chunk's transaction, for PostgreSQL in another thread while
    the database works on the chunk before); `write` writes one chunk of prepared rows in the session."""

    prepare: Callable[[Rows, int], Prepared]
    write: Callable[..., Counts]


def _as_is(rows: Rows, _env: int) -> Rows:
    return rows


def row_by_row(kind: str, save: Callable[..., tuple[Any, bool]]) -> Writer:
    """A writer that saves each row with the kind's own save verb, auditing through `trail.Trail`; the
    first row the database refuses (a supplier or order that is gone) stops the import at its line."""
    def write(session: Session, rows: Rows, *, who: Audience) -> Counts:
        trail, counts = Trail(session, kind, environment_id=who.environment_id), Counts()
        for line, data in rows:
            before = trail.row_before(data)
            try:
                saved, created = save(session, data, environment_id=who.environment_id)
            except DomainError as exc:
                raise MissingReference(line, _refusal(exc)) from None
            changed = trail.row_after(data, saved) != before
            counts.created += created
            counts.updated += not created and changed
            counts.unchanged += not created and not changed
        counts.records = who.audit(session, trail.record.kind, trail.changes())
        return counts
    return Writer(_as_is, write)


SUPPLIER_WRITER = Writer(prepare_suppliers, write_suppliers)
BANK_ACCOUNT_WRITER = Writer(prepare_bank_accounts, write_bank_accounts)
ORDER_LINE_WRITER = Writer(prepare_order_lines, write_order_lines)
