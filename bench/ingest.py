"""Auto-approved purchase invoices per second: over HTTP to gunicorn (2 workers), and the bare path.

    python bench/ingest.py [--seconds S] [--clients C] [--backends sqlite,postgresql] [--modes enforce,off]
                           [--pg-threads T]

*server*: `POST /api/v1/invoices` with a bearer token to `gunicorn -w 2 'server.app:create_app()'`
(on PostgreSQL with `--threads T`, default 2, as README "Running at scale" advises: a worker thread
waiting for PostgreSQL lets the other run; SQLite takes one writer at a time, so it keeps 1 thread)
on a fresh database holding the demo master data, C client threads with kept-alive connections,
every invoice unique (number and dates shifted) and auto-approved: stored, validated in
STROOM_UBL_RULES mode, matched, decided, recorded, with the audit trail written. Afterwards the
database is checked: every accepted invoice is `approved` and the audit chain verifies.
*bare*: the same invoice validated in the same mode, parsed, matched against the demo master data
as plain records, decided and run through the engine to its end (state dumped), in this one process
with no database and no HTTP. The ratio server / bare shows what storage, HTTP and audit cost.
*ceiling* (issue #22): cores x 1000 / (rules ms + bare ms + database ms per invoice), each measured in
this run: bare ms is the bare path's CPU with the rules off, rules ms what the rules add to it, database
ms the CPU of the PostgreSQL backends serving the server's database per accepted invoice (read from
/proc; 0 on SQLite, whose work runs inside the web workers and so is part of the server's CPU). The
ratio server / ceiling is the goal on PostgreSQL (>= 0.7); server / bare >= 0.5 with the rules off.
Because the machine is shared, the CPU per invoice (server, database, bare) is printed beside the
rates: the CPU ratio bare / (server + database) does not depend on what else runs.
Writes bench/results/ingest.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import os
import threading
import time
from pathlib import Path
from typing import Any

from common import (
    APPROVAL_TABLE,
    BENCH_MODEL,
    Figure,
    auto_approve_invoice,
    database_cpu_seconds,
    fresh_database,
    gunicorn,
    postgres_ok,
    prepare,
    print_table,
    request,
    settings_for,
    temp_folder,
    write_results,
)

TARGETS = {("postgresql", "enforce"): 150.0, ("postgresql", "off"): 300.0}
RATIO_TARGET = 0.5  # server / bare, rules off (issue #22)
CEILING_TARGET = 0.7  # server / ceiling on PostgreSQL (issue #22)
CORES = os.cpu_count() or 1
# One sequence per process: a number (and so an issue date) used twice would be a possible duplicate.
NUMBERS = itertools.count()


def bare_rate(mode: str, seconds: float) -> tuple[float, int]:
    """Invoices per second through validate + parse + match + decide + engine, one process, no I/O."""
    from server.demo_data import demo_snapshot
    from server.engine import WorkflowRun
    from server.invoices.facts import facts_from_invoice
    from server.invoices.matching import match
    from server.invoices.ubl import parse_invoice
    from server.invoices.validation import validate

    snapshot, today = demo_snapshot(), dt.date.today()

    def match_invoice(call: Any) -> dict[str, Any]:
        facts = facts_from_invoice(parse_invoice(call.context))
        return match(facts, snapshot, today=today, earlier_invoices=()).collection()

    def record_outcome(call: Any) -> dict[str, Any]:
        return {"outcome": call.params.get("outcome")}

    model = _bare_model({"match_invoice": match_invoice, "record_outcome": record_outcome})

    def one(n: int) -> None:
        xml = auto_approve_invoice(n, run="bare")
        report = validate(xml, mode=mode)
        assert report.accepted, report
        parsed = parse_invoice(xml)
        # The start data the server gives a purchase instance (invoices.service.purchase_data) that the
        # model reads: the order number feeds the validation table.
        data = {"invoice_id": n, "invoice": {"number": parsed.id}, "order_number": parsed.order_reference or ""}
        run = WorkflowRun.start(model, data, context=xml)
        assert run.advance() is None and run.is_completed and run.data.get("outcome") == "approved", run.data
        run.dumps()

    counter = itertools.count()
    for _ in range(20):  # warm up Saxon and the caches
        one(next(counter))
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        one(next(counter))
        count += 1
    return count / (time.perf_counter() - start), count + 20


def _bare_model(pure: dict[str, Any]) -> Any:
    """The purchase model the server runs (shipped, else the bench one); every other service a no-op."""
    from server.engine import ServiceRegistry, compile_model
    from server.instances.registry import default_services
    from server.instances.shipped import shipped_models

    services = ServiceRegistry({name: (lambda call: {}) for name in default_services().names} | pure)
    shipped = next((m for m in shipped_models() if m.key == "purchase_invoice"), None)
    if shipped is not None:
        return compile_model(bpmn=shipped.bpmn, dmn=shipped.dmn, forms=shipped.forms, services=services)
    return compile_model(bpmn={BENCH_MODEL.name: BENCH_MODEL.read_bytes()},
                         dmn={APPROVAL_TABLE.name: APPROVAL_TABLE.read_bytes()}, services=services)


def post_for(port: int, token: str, seconds: float, clients: int, run: str) -> tuple[int, int, float]:
    """(accepted, failed, elapsed) for C threads posting unique invoices for `seconds`."""
    numbers = NUMBERS
    lock = threading.Lock()
    totals = {"ok": 0, "bad": 0}
    stop = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        ok = bad = 0
        while time.perf_counter() < stop:
            with lock:
                n = next(numbers)
            status, body = request(port, "POST", "/api/v1/invoices", auto_approve_invoice(n, run=run),
                                   token=token, conn=conn)
            if status == 201 and body and body.get("status") == "accepted":
                ok += 1
            else:
                bad += 1
                if bad <= 3:
                    print(f"    unexpected answer {status}: {str(body)[:300]}")
        conn.close()
        with lock:
            totals["ok"] += ok
            totals["bad"] += bad

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return totals["ok"], totals["bad"], time.perf_counter() - start


def check_outcomes(url: str, folder: Path) -> dict[str, Any]:
    """Every invoice approved, every instance completed, the audit chain intact."""
    from sqlalchemy import func, select

    from server.audit.verify import verify
    from server.host import open_host
    from server.instances.models import ProcessInstance
    from server.invoices.models import Invoice

    host = open_host(settings_for(url, folder))
    try:
        with host.db.unit_of_work() as session:
            statuses = dict(session.execute(select(Invoice.status, func.count()).group_by(Invoice.status)).all())
            instances = dict(session.execute(select(ProcessInstance.status, func.count())
                                             .group_by(ProcessInstance.status)).all())
            chain = verify(session, key=host.audit_key)
        return {"invoices": statuses, "instances": instances, "audit_ok": chain.ok, "audit_rows": chain.checked}
    finally:
        host.db.dispose()


def server_rate(backend: str, mode: str, seconds: float, clients: int,
                threads: int = 1) -> tuple[float, dict[str, Any]]:
    with temp_folder(f"ingest-{backend}") as tmp, fresh_database(backend, Path(tmp)) as url:
        folder = Path(tmp)
        prepared = prepare(url, folder)
        with gunicorn(url, folder, workers=2, threads=threads, STROOM_UBL_RULES=mode) as server:
            post_for(server.port, prepared.token, 3.0, clients, run="warm")  # validator pools, caches
            cpu, database = server.cpu_seconds(), database_cpu_seconds(url)
            ok, bad, elapsed = post_for(server.port, prepared.token, seconds, clients, run="m")
            cpu, database = server.cpu_seconds() - cpu, database_cpu_seconds(url) - database
        details = check_outcomes(url, folder)
        details.update(accepted=ok, failed=bad, seconds=elapsed, model=prepared.model, threads=threads,
                       server_cpu_ms_per_invoice=1000 * cpu / max(ok, 1),
                       database_cpu_ms_per_invoice=1000 * database / max(ok, 1))
        return ok / elapsed, details


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--modes", default="enforce,off")
    parser.add_argument("--pg-threads", type=int, default=2, help="gunicorn --threads on PostgreSQL")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b != "postgresql" or postgres_ok()]
    figures: list[Figure] = []
    details: dict[str, Any] = {}
    modes = args.modes.split(",")
    bare: dict[str, tuple[float, float]] = {}  # mode -> (invoices/s, CPU ms per invoice)
    for mode in sorted(modes, key=lambda m: m != "off"):
        cpu = time.process_time()
        rate, count = bare_rate(mode, args.seconds / 2)
        bare[mode] = (rate, 1000 * (time.process_time() - cpu) / count)
    bare_ms = bare.get("off", bare[modes[0]])[1]
    for mode in modes:
        # The ceiling of this machine for this path: cores x 1000 / (rules + bare + database ms per invoice),
        # each measured in this run; rules = the bare path's CPU with the rules on minus with them off.
        rules_ms = bare[mode][1] - bare_ms if mode != "off" else 0.0
        figures.append(Figure(f"bare path, rules {mode}", bare[mode][0], "inv/s"))
        figures.append(Figure(f"  bare CPU per invoice (rules {mode}, incl. warm-up)", bare[mode][1], "ms"))
        for backend in backends:
            threads = args.pg_threads if backend == "postgresql" else 1
            rate, info = server_rate(backend, mode, args.seconds, args.clients, threads)
            database_ms = info["database_cpu_ms_per_invoice"]
            ceiling = CORES * 1000 / (rules_ms + bare_ms + database_ms)
            info.update(rules_ms=rules_ms, bare_ms=bare_ms, ceiling=ceiling)
            details[f"{backend}/{mode}"] = info
            print(f"  {backend}/{mode}: {info}")
            figures.append(Figure(f"server {backend} (threads {threads}), rules {mode}", rate, "inv/s",
                                  TARGETS.get((backend, mode))))
            figures.append(Figure(f"  ceiling {CORES}x1000/({rules_ms:.1f}+{bare_ms:.1f}+{database_ms:.1f} ms)",
                                  ceiling, "inv/s"))
            figures.append(Figure(f"  ratio server/ceiling ({backend}, {mode})", rate / ceiling, "x",
                                  CEILING_TARGET if backend == "postgresql" else None))
            figures.append(Figure(f"  ratio server/bare ({backend}, {mode})", rate / bare[mode][0], "x",
                                  RATIO_TARGET if mode == "off" else None))
            figures.append(Figure(f"  server CPU per invoice ({backend}, {mode})",
                                  info["server_cpu_ms_per_invoice"], "ms"))
            figures.append(Figure(f"  database CPU per invoice ({backend}, {mode})", database_ms, "ms"))
            figures.append(Figure(f"  CPU ratio bare/(server+database) ({backend}, {mode})",
                                  bare[mode][1] / (info["server_cpu_ms_per_invoice"] + database_ms), "x"))
    print_table("Ingest: auto-approved purchase invoices per second (gunicorn -w 2, audit written)", figures)
    write_results("ingest", figures, clients=args.clients, details=details)


if __name__ == "__main__":
    main()
