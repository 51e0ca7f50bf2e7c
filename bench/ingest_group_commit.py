"""What group commit would save: invoices processed G to a transaction, each in its own savepoint.

    python bench/ingest_group_commit.py [--invoices N] [--groups 1,5,20] [--backends sqlite,postgresql]

Not what Stroom does: ingest processes each invoice in its own transaction, in the request that received
it (issue #22 point 3 allows group commit only with per-invoice isolation). This measures the design the
issue asks about, in-process on a fresh database with the rules off: each invoice stored in a
transaction of its own (as a request would), validated and parsed outside any, then G of them processed
in one transaction, each inside a savepoint (`Session.begin_nested`), so one that fails rolls back alone.
Prints CPU ms per invoice of this process and of the PostgreSQL backends serving it, per group size.
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
from sqlalchemy import func, select

from server.host import open_host
from server.invoices import service as ingestion
from server.invoices.models import Invoice


def process_group(host, actor, contents: list[bytes]) -> None:
    stored = []
    for content in contents:
        with host.db.unit_of_work() as session:
            document_id, _ = ingestion.store(session, actor=actor, content=content)
        report = ingestion.default_validator(content, host.settings.ubl_rules, host.settings.max_document_bytes)
        stored.append((document_id, report, ingestion._parse(content, host)))
    with host.db.unit_of_work() as session:
        for document_id, report, parsed in stored:
            with session.begin_nested():
                ingestion.process(session, host, actor=actor, document_id=document_id, report=report, parsed=parsed)


def measure(backend: str, count: int, group: int) -> dict[str, float]:
    with temp_folder(f"group-commit-{backend}") as tmp, fresh_database(backend, Path(tmp)) as url:
        folder = Path(tmp)
        prepare(url, folder)
        host = open_host(settings_for(url, folder, ubl_rules="off"))
        actor = bench_actor(host)
        for n in range(0, 20, group):  # warm: caches, the compiled model
            process_group(host, actor, [auto_approve_invoice(100_000 + k, run="warm") for k in range(n, n + group)])
        wall, cpu, database = time.perf_counter(), time.process_time(), database_cpu_seconds(url)
        for n in range(0, count, group):
            process_group(host, actor, [auto_approve_invoice(k, run="group") for k in range(n, n + group)])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        database = database_cpu_seconds(url) - database
        with host.db.reading() as session:
            approved = session.scalar(select(func.count()).select_from(Invoice).where(Invoice.status == "approved"))
        host.db.dispose()
    done = -(-count // group) * group
    assert approved == done + -(-20 // group) * group, approved
    return {"process_ms": 1000 * cpu / done, "database_ms": 1000 * database / done, "wall_ms": 1000 * wall / done}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--groups", default="1,5,20")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    figures: list[Figure] = []
    details: dict[str, dict[str, float]] = {}
    for backend in [b for b in args.backends.split(",") if b != "postgresql" or postgres_ok()]:
        for group in (int(g) for g in args.groups.split(",")):
            result = details[f"{backend} G={group}"] = measure(backend, args.invoices, group)
            print(f"  {backend} G={group}: {result}", flush=True)
            figures += [Figure(f"{backend} G={group}: CPU per invoice, this process", result["process_ms"], "ms"),
                        Figure(f"{backend} G={group}: CPU per invoice, database backends", result["database_ms"], "ms"),
                        Figure(f"{backend} G={group}: wall per invoice", result["wall_ms"], "ms")]
    print_table(f"Group commit, rules off, {args.invoices} invoices", figures)
    write_results("ingest_group_commit", figures, invoices=args.invoices, details=details)


if __name__ == "__main__":
    main()
