"""CPU per ingested invoice in-process, without HTTP: what each lever on the ingest path saves.

    python bench/ingest_cpu.py [--invoices N] [--backends sqlite,postgresql] [--mode off]

The same auto-approving invoices as bench/ingest.py go through `operations.documents.submit_content`
(store, validate in STROOM_UBL_RULES mode `--mode`, parse, match, decide, run the engine, audit; one
invoice = one transaction after the document's own) in this one process on a fresh database. Prints
CPU ms per invoice of this process and of the PostgreSQL backends serving it (/proc), statements,
ORM flushes (each one a pass of SQLAlchemy's unit of work) and audit rows per invoice. CPU does not depend on what else the shared machine runs, so a lever's effect
shows here when the HTTP bench's rates drown in noise. Writes bench/results/ingest_cpu.json.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import (
    Figure,
    auto_approve_invoice,
    bench_actor,
    database_cpu_seconds,
    fresh_database,
    postgres_ok,
    prepare,
    print_table,
    settings_for,
    temp_folder,
    write_results,
)
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.host import open_host
from server.invoices.models import Invoice
from server.operations import documents


def measure(backend: str, count: int, mode: str) -> dict[str, float]:
    with temp_folder(f"ingest-cpu-{backend}") as tmp, fresh_database(backend, Path(tmp)) as url:
        folder = Path(tmp)
        prepare(url, folder)
        host = open_host(settings_for(url, folder, ubl_rules=mode))
        statements, flushes = [0], [0]

        def count_statement(*_: object) -> None:
            statements[0] += 1

        def count_flush(*_: object) -> None:  # only flushes with something to write get here
            flushes[0] += 1
        actor = bench_actor(host)
        for n in range(20):  # warm: caches, the compiled model
            documents.submit_content(host, actor=actor, content=auto_approve_invoice(100_000 + n, run="warm"))
        with host.db.reading() as session:
            audited = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        event.listen(host.db.engine, "before_cursor_execute", count_statement)
        event.listen(Session, "before_flush", count_flush)
        wall, cpu, database = time.perf_counter(), time.process_time(), database_cpu_seconds(url)
        for n in range(count):
            documents.submit_content(host, actor=actor, content=auto_approve_invoice(n, run="cpu"))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        database = database_cpu_seconds(url) - database
        event.remove(host.db.engine, "before_cursor_execute", count_statement)
        event.remove(Session, "before_flush", count_flush)
        with host.db.reading() as session:
            approved = session.scalar(select(func.count()).select_from(Invoice).where(Invoice.status == "approved"))
            audit_rows = (session.scalar(select(func.count()).select_from(AuditEvent)) or 0) - audited
        host.db.dispose()
    assert approved == count + 20, approved
    return {"process_ms": 1000 * cpu / count, "database_ms": 1000 * database / count,
            "wall_ms": 1000 * wall / count, "statements": statements[0] / count, "flushes": flushes[0] / count, "audit_rows": audit_rows / count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--mode", default="off")
    args = parser.parse_args()
    figures: list[Figure] = []
    details = {}
    for backend in [b for b in args.backends.split(",") if b != "postgresql" or postgres_ok()]:
        result = details[backend] = measure(backend, args.invoices, args.mode)
        print(f"  {backend}: {result}")
        figures += [Figure(f"{backend}: CPU per invoice, this process", result["process_ms"], "ms"),
                    Figure(f"{backend}: CPU per invoice, database backends", result["database_ms"], "ms"),
                    Figure(f"{backend}: statements per invoice", result["statements"], ""),
                    Figure(f"{backend}: ORM flushes per invoice", result["flushes"], ""),
                    Figure(f"{backend}: audit rows per invoice", result["audit_rows"], "")]
    print_table(f"Ingest in-process, rules {args.mode}, {args.invoices} invoices", figures)
    write_results("ingest_cpu", figures, invoices=args.invoices, mode=args.mode, details=details)


if __name__ == "__main__":
    main()
