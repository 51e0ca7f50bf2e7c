"""Run a queued master-data import: check the whole file, then write it in short transactions.

A file is checked completely before anything is written (conversion, required fields, repeated keys,
named suppliers and orders exist): with any refused row nothing is imported and the summary counts the
refused rows and lists each with its line number and its problems (codes, values and English messages,
server.masterdata.problems). Suppliers, bank accounts, purchase orders, order lines and goods
receipts are then written set-based in chunks (`bulk_writers`, `bulk_orders`), each chunk its own
transaction sized to take about CHUNK_SECONDS, so SQLite's single writer lock (and PostgreSQL's row
locks) are free again within about 200 ms and ingest keeps answering during a 100,000-row import. The
smaller kinds (administrations, rules) are written row by row with their own save verbs, in chunks too
(10,000 orders saved row by row in one transaction held SQLite's writer lock for a minute: invoices
meanwhile got 503). A row the database refuses at write time (a supplier deleted meanwhile) stops the import at its line, as
`failed`, with the chunks before it kept.

Progress (`done`) is committed with each chunk, with the lease's heartbeat (server.leases), and moves
only forward: a runner whose expected `done` no longer matches has lost the import to another (after a
stale heartbeat) and stops; a runner that takes over resumes after the last committed chunk.
"""
from __future__ import annotations

import csv
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from server import collector, leases
from server.audit import service as audit
from server.auth.actor import Actor
from server.db import Database, optimize_statistics, utcnow
from server.masterdata import bulk_orders, bulk_writers, csv_import
from server.masterdata.bulk_writers import Audience, Counts, MissingReference, Writer, row_by_row
from server.masterdata.models import MATCHING_TABLES, MasterDataImport, PurchaseOrder, Supplier
from server.masterdata.problems import Problem, at_line, problem, refused_rows

log = logging.getLogger("stroom.masterdata")
# Aimed at: the chunk size follows the CPU time of the previous chunk in this thread (on SQLite that
# includes the database's own work). Its wall time would shrink chunks on a loaded machine, where every
# chunk waits for a core, to where their fixed cost (reads, the audit entry, progress, commit) ruled.
CHUNK_SECONDS = 0.1
FIRST_CHUNK, MIN_CHUNK, MAX_CHUNK = 1000, 200, 5000
# PostgreSQL has no database-wide writer lock: a chunk blocks others only on the audit chain head, from
# the audit insert at commit to the commit. Each commit waits for the WAL flush, so chunks stay big there.
MIN_CHUNK_POSTGRES = 500
# On SQLite a writer woken by the released turn must get to run before the importer takes the turn again
# for its next chunk; measured without this pause: one invoice per 1.5 s beside a supplier import on a
# loaded machine (p95 3.1 s). The pause is about 5 % of a chunk's time.
SQLITE_TURN_PAUSE = 0.005
MAX_REFUSED = 1000  # refused rows kept in the summary (`refused_count` counts them all)
ENDED = MasterDataImport.ENDED_STATUSES
Progress = Callable[[int, int], None]
# The kinds written set-based; the others (administrations, rules: tens of rows) go row by row.
WRITERS: dict[str, Writer] = {
    "suppliers": bulk_writers.SUPPLIER_WRITER, "bank_accounts": bulk_writers.BANK_ACCOUNT_WRITER,
    "purchase_orders": bulk_orders.PURCHASE_ORDER_WRITER, "order_lines": bulk_writers.ORDER_LINE_WRITER,
    "goods_receipts": bulk_orders.GOODS_RECEIPT_WRITER,
}  # fmt: skip
# Rows are prepared (Writer.prepare) in blocks of this many; a chunk is whole blocks (but the file's last).
PREPARE_BLOCK = 100


@dataclass(frozen=True)
class _Plan:
    id: int
    kind: str
    edge: str
    actor: Actor
    data: bytes
    done: int


class _Lost(Exception):
    """Another runner moved the import on; this runner's chunk must not commit."""


def parse(kind: str, data: bytes) -> tuple[list[tuple[int, Any]], list[Problem]]:
    """The file's rows as (line number, checked input), and every refused row's problems (each with its line)."""
    spec = csv_import.KINDS[kind]
    text, errors = csv_import.decode(data)
    if text is None:
        return [], errors
    reader = csv_import.reader(text)
    try:
        columns, errors = csv_import.header(next(reader), spec)
    except csv.Error as exc:
        return [], [at_line(1, problem("unreadable_csv", reason=str(exc)))]
    if errors:
        return [], errors
    rows: list[tuple[int, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    last_line = reader.line_num
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(at_line(reader.line_num, problem("unreadable_csv", reason=str(exc))))
            break
        line, last_line = last_line + 1, reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(columns):
            errors.append(at_line(line, problem("too_many_fields", count=len(values), columns=len(columns))))
            continue
        row = csv_import.Row(dict(zip(columns, values)))
        checked = spec.build(row)
        problems = row.problems or checked.problems()
        for name, code, key in [] if problems else spec.keys(checked):
            if (name, *key) in seen:
                shown = " / ".join(str(part) for part in key if str(part))
                problems.append(problem(code, name, key=shown, first_line=seen[(name, *key)]))
            seen[(name, *key)] = line
        errors.extend(at_line(line, p) for p in problems)
        if not problems:
            rows.append((line, checked))
    return rows, errors


def count_rows(kind: str, data: bytes) -> int:
    """How many data rows the file has (what the progress bar counts to); 0 when it is unreadable."""
    rows, _ = parse(kind, data)
    return len(rows)


# kind -> (the referenced key column, the row's field naming it, its value, the problem code when unknown)
REFERENCES: dict[str, tuple[Any, str, Callable[[Any], str], str]] = {
    "bank_accounts": (Supplier.code, "supplier_code", lambda d: d.supplier_code.strip(), "unknown_supplier"),
    "order_lines": (PurchaseOrder.number, "order_number", lambda d: d.order_number.strip(), "unknown_order"),
    "purchase_orders": (Supplier.code, "supplier_code", lambda d: d.supplier_code.strip(), "unknown_supplier"),
    "goods_receipts": (PurchaseOrder.number, "order_number", lambda d: d.order_number.strip(), "unknown_order"),
}


def check_references(db: Database, kind: str, rows: list[tuple[int, Any]], *,
                     environment_id: int) -> list[Problem]:
    """A refusal for each row naming a supplier or order that is not stored (read once per 1,000 keys)."""
    if kind not in REFERENCES:
        return []
    column, field, key_of, code = REFERENCES[kind]
    wanted = sorted({key_of(data) for _, data in rows})
    known: set[str] = set()
    with db.reading() as session:
        for start in range(0, len(wanted), 1000):
            known.update(session.scalars(select(column).where(column.class_.environment_id == environment_id,
                                                              column.in_(wanted[start:start + 1000]))))
    return [at_line(line, problem(code, field, value=key_of(data))) for line, data in rows if key_of(data) not in known]


def _claim(db: Database, import_id: int) -> _Plan | None:
    """Mark the import running for this runner; None when it ended or another runner is alive on it."""
    with db.unit_of_work() as session:
        row = leases.claim(session, MasterDataImport, import_id, now=utcnow())
        if row is None or row.data is None:  # the file is dropped only as the import ends
            return None
        actor = Actor(kind=row.actor_type, name=row.actor, environment_id=row.environment_id, user_id=row.user_id)
        return _Plan(row.id, row.kind, row.edge, actor, row.data, row.done)


def _end(db: Database, plan: _Plan, *, status: str, refused: list[Problem] = (),  # type: ignore[assignment]
         error: str | None = None, records: int = 0) -> None:
    rows = refused_rows(refused)
    with db.unit_of_work() as session:
        row = session.get(MasterDataImport, plan.id)
        assert row is not None
        row.status, row.refused, row.refused_count, row.error = status, rows[:MAX_REFUSED], len(rows), error
        row.finished_at, row.data = utcnow(), None
        if status == "done":
            audit.record(session, actor=plan.actor, action="masterdata.imported", target_type="masterdata",
                         target_id=plan.kind, after={"created": row.created, "updated": row.updated,
                                                     "unchanged": row.unchanged, "records_changed": records,
                                                     "edge": plan.edge, "import_id": plan.id})


def _advance(session: Any, plan_id: int, *, expected: int, rows: int, counts: Counts, total: int) -> None:
    """Count the chunk in, or _Lost when another runner moved the import on meanwhile."""
    run = MasterDataImport
    counted = {run.done: expected + rows, run.total: total, run.created: run.created + counts.created,
               run.updated: run.updated + counts.updated, run.unchanged: run.unchanged + counts.unchanged}
    if not leases.heartbeat(session, run, plan_id, now=utcnow(), values=counted,
                            only_if=(run.done == expected, run.status == "running")):
        raise _Lost()


class _Ahead:
    """The file's rows from `start` on, prepared (Writer.prepare) block by block ahead of the chunks that
    write them.

    With `threaded` (PostgreSQL) one thread prepares the next chunk's rows while this one waits for the
    database to write and commit the chunk before: psycopg lets go of the GIL while it waits on the socket,
    so the database's work and this process's no longer take turns. Preparing needs nothing from the
    database (look-ups and comparisons stay in the chunk's transaction), and keys are unique within a file,
    so what a chunk writes changes nothing prepared for the next. Without it (SQLite) each chunk's rows are
    prepared just before its transaction begins: outside the writer lock, which then covers only the
    writing. (Threaded on SQLite, the preparing thread takes the GIL from the writer between its steps,
    and the lock is held longer.)"""

    def __init__(self, prepare: Callable[[Any, int], Any], rows: list[tuple[int, Any]], start: int, env: int, *,
                 threaded: bool):
        self._prepare, self._rows, self._env, self._next = prepare, rows, env, start
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="import-prepare") if threaded else None
        self._blocks: deque[Future[Any] | list[tuple[int, Any]]] = deque()
        self._queued = 0  # rows in self._blocks

    def _queue(self, rows: int) -> None:
        """Queue blocks until at least `rows` rows are queued (or the file's rows are all queued)."""
        while self._queued < rows and self._next < len(self._rows):
            block = self._rows[self._next:self._next + PREPARE_BLOCK]
            self._next += len(block)
            self._queued += len(block)
            self._blocks.append(block if self._pool is None else self._pool.submit(self._prepare, block, self._env))

    def take(self, rows: int) -> list[Any]:
        """The next `rows` rows (rounded up to whole blocks) prepared; then starts on as many again."""
        self._queue(rows)
        prepared: list[Any] = []
        while len(prepared) < rows and self._blocks:
            block = self._blocks.popleft()
            done = block.result() if isinstance(block, Future) else self._prepare(block, self._env)
            self._queued -= len(done)
            prepared += done
        self._queue(rows)
        return prepared

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _write_chunks(db: Database, plan: _Plan, rows: list[tuple[int, Any]], progress: Progress | None) -> Counts:
    who = Audience(actor=plan.actor, edge=plan.edge, environment_id=plan.actor.environment_id, import_id=plan.id)
    spec = csv_import.KINDS[plan.kind]
    writer = WRITERS.get(plan.kind) or row_by_row(plan.kind, spec.save)
    total, done, size, counts = len(rows), plan.done, FIRST_CHUNK, Counts()
    smallest = max(MIN_CHUNK, MIN_CHUNK_POSTGRES) if db.is_postgres else MIN_CHUNK
    ahead = _Ahead(writer.prepare, rows, done, who.environment_id, threaded=db.is_postgres)
    try:
        while done < total:
            chunk = ahead.take(size)
            with db.unit_of_work(bulk=True) as session:
                session.connection()  # BEGIN: on SQLite this waits for the writer turn, which is not our time
                started = time.thread_time()
                chunk_counts = writer.write(session, chunk, who=who)
                _advance(session, plan.id, expected=done, rows=len(chunk), counts=chunk_counts, total=total)
            elapsed = time.thread_time() - started
            if not db.is_postgres:
                time.sleep(SQLITE_TURN_PAUSE)
            done += len(chunk)
            counts.add(chunk_counts)
            size = max(smallest, min(MAX_CHUNK, int(len(chunk) * CHUNK_SECONDS / max(elapsed, 0.001))))
            if progress is not None:
                progress(done, total)
    finally:
        ahead.close()
    return counts


def run(db: Database, import_id: int, *, progress: Progress | None = None) -> None:
    """Run the import if it is queued (or its runner went quiet); commits chunk by chunk, ends with the
    summary and a `masterdata.imported` audit entry. Safe to call from several runners at once."""
    plan = _claim(db, import_id)
    if plan is None:
        return
    try:
        with collector.full_collections_held():  # else the parsed rows are walked again and again: collector.py
            refused, records = _run(db, plan, progress)
    except _Lost:
        log.warning("masterdata import %s: another runner took over", plan.id)
        return
    except MissingReference as exc:
        _end(db, plan, status="failed", refused=[at_line(exc.line, exc.problem)],
             error=f"stopped at line {exc.line}: {exc.problem['message']}")
        return
    _end(db, plan, status="refused" if refused else "done", refused=refused, records=records)
    if not refused:
        with db.unit_of_work() as session:
            optimize_statistics(session, MATCHING_TABLES)


def _run(db: Database, plan: _Plan, progress: Progress | None) -> tuple[list[Problem], int]:
    rows, refused = parse(plan.kind, plan.data)
    refused += check_references(db, plan.kind, rows, environment_id=plan.actor.environment_id)
    if refused:
        return refused, 0
    return [], _write_chunks(db, plan, rows, progress).records


