"""Master data at ERP scale: 100,000 suppliers, bank accounts and order lines imported while invoices arrive.

    .venv/bin/python bench/masterdata_import.py [--rows 100000] [--backends sqlite,postgresql] [--no-ingest]

Per backend: a fresh database with the demo data, a real server (gunicorn, 2 workers) receiving one
stream of auto-approving invoices and /healthz checks, and beside it the imports as `stroom masterdata
import` runs them (operations.masterdata: queue, then run here in chunks). Passes: new suppliers, the
same file again (nothing changes, nothing is audited), every supplier renamed, new bank accounts, new
order lines (on 10 % as many orders), the same order lines again. Prints rows/s (wall, and per CPU
second of this process plus, on PostgreSQL, the database backends serving it, whose share is printed as
database us/row; on SQLite the database's work is in this process; with invoices arriving the backends'
CPU includes theirs, so take the CPU figure from --no-ingest), audit rows written (one per chunk; the records are its detail rows), and the
invoices answered during each pass with their p95 and any answer that was not 2xx.
Goals (issue #22): >= 10,000 rows/s, ingest p95 < 1 s, no 503.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import threading
import time
from pathlib import Path

import common
from common import Figure
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth import service as auth
from server.auth.actor import Actor
from server.host import open_host
from server.operations import masterdata as operations


def iban(n: int, bank: str = "ABNA") -> str:
    """A valid Dutch IBAN for account number n."""
    account = f"{n:010d}"
    digits = "".join(str(int(ch, 36)) for ch in f"{bank}{account}NL00")
    return f"NL{98 - int(digits) % 97:02d}{bank}{account}"


def suppliers_csv(rows: int, name: str) -> bytes:
    lines = ["code;name;address_line1;postal_code;city;country;email;kvk"]
    lines += [f"S{n:06d};{name} {n} B.V.;Straat {n};1234 AB;Utrecht;NL;s{n}@example.com;{10000000 + n}"
              for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def accounts_csv(rows: int, bank: str) -> bytes:
    lines = ["supplier_code,iban,bic,preferred"]
    lines += [f"S{n:06d},{iban(n, bank)},,ja" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def orders_csv(rows: int) -> bytes:
    return ("number,supplier_code\n" + "".join(f"PO{n:06d},S{n:06d}\n" for n in range(rows))).encode()


def lines_csv(rows: int) -> bytes:
    return ("order_number,line_number,quantity,unit_price,description\n" + "".join(
        f"PO{n // 10:06d},{n % 10 + 1},{n % 7 + 1},{n % 97 + 1}.50,Item {n}\n" for n in range(rows))).encode()


# One sequence for every pass: restarting it per pass made each later pass re-send the invoices of the
# first, which were answered as duplicates (no workflow, no audit) and flattered its ingest p95.
INVOICE_NUMBERS = itertools.count()


class Ingest:
    """One client posting unique invoices and one polling /healthz, recording every answer's time."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.answers: list[tuple[str, int, float]] = []
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def _invoices(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        while not self.stop.is_set():
            body = common.auto_approve_invoice(next(INVOICE_NUMBERS), run="md")
            started = time.perf_counter()
            status, _ = common.request(self.port, "POST", "/api/v1/invoices", body, token=self.token, conn=conn)
            self.answers.append(("invoice", status, time.perf_counter() - started))
        conn.close()

    def _health(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            status, _ = common.request(self.port, "GET", "/healthz")
            self.answers.append(("healthz", status, time.perf_counter() - started))
            self.stop.wait(0.2)

    def __enter__(self) -> Ingest:  # noqa: PYI034 - a plain class, never subclassed
        self.answers.clear()
        self.stop.clear()
        self.threads = [threading.Thread(target=self._invoices), threading.Thread(target=self._health)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def run_import(host, actor: Actor, kind: str, data: bytes) -> tuple[float, float, float, operations.ImportView]:
    """(wall seconds, CPU seconds of this process and of the database's backends, of the backends alone, summary)."""
    url = host.settings.database_url
    started, cpu, database = time.perf_counter(), time.process_time(), common.database_cpu_seconds(url)
    with host.db.unit_of_work() as session:
        queued = operations.import_master_data(session, actor=actor, edge="cli", kind=kind, data=data)
    operations.run_master_data_import(host.db, import_id=queued.id)
    while True:  # the server's worker may have taken it: wait for its end
        with host.db.reading() as session:
            view = operations.master_data_import(session, actor=actor, import_id=queued.id)
        if view.ended:
            database = common.database_cpu_seconds(url) - database
            return time.perf_counter() - started, time.process_time() - cpu + database, database, view
        time.sleep(0.2)


def audit_rows(host) -> int:
    with host.db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def bench_backend(backend: str, rows: int, ingest: bool) -> list[Figure]:
    figures: list[Figure] = []
    passes = [("suppliers", "new", suppliers_csv(rows, "Leverancier")),
              ("suppliers", "same again", suppliers_csv(rows, "Leverancier")),
              ("suppliers", "all renamed", suppliers_csv(rows, "Supplier")),
              ("bank_accounts", "new", accounts_csv(rows, "ABNA")),
              ("purchase_orders", "new", orders_csv(max(1, rows // 10))),
              ("order_lines", "new", lines_csv(rows)),
              ("order_lines", "same again", lines_csv(rows))]
    with common.temp_folder(f"masterdata-{backend}") as tmp, common.fresh_database(backend, Path(tmp)) as url:
        folder = Path(tmp)
        prepared = common.prepare(url, folder)
        host = open_host(common.settings_for(url, folder))
        with host.db.unit_of_work() as session:
            actor = Actor.system(auth.get_environment(session, auth.DEFAULT_ENVIRONMENT).id, "cli:bench")
        with common.gunicorn(url, folder, workers=2) as server:
            with Ingest(server.port, prepared.token):
                time.sleep(3)  # warm: validator processes, caches
            print(f"\n{rows} rows per pass on {backend}")
            for kind, label, data in passes:
                audited = audit_rows(host)
                if ingest:
                    with Ingest(server.port, prepared.token) as stream:
                        seconds, cpu, database, view = run_import(host, actor, kind, data)
                    answers = stream.answers
                else:
                    (seconds, cpu, database, view), answers = run_import(host, actor, kind, data), []
                assert view.status == "done", (view.status, view.error, view.refused[:3])
                count = view.created + view.updated + view.unchanged
                invoices = [s for what, _, s in answers if what == "invoice"]
                failed = [status for _, status, _ in answers if not 200 <= status < 300]
                p95 = common.percentile(invoices, 95) if invoices else 0.0
                print(f"  {kind:15} {label:12} {count / seconds:8.0f} rows/s {count / cpu:8.0f} rows/CPU-s "
                      f"database {database / count * 1e6:5.1f} us/row "
                      f"audit rows {audit_rows(host) - audited:7}  ingest {len(invoices):4} invoices "
                      f"p95 {p95 * 1000:6.0f} ms max {max(invoices, default=0) * 1000:6.0f} ms "
                      f"not 2xx {len(failed)}", flush=True)
                if kind == "purchase_orders":
                    continue  # a tenth of the rows (set-based too): the goals are for the big kinds
                name = f"{backend} {kind} {label}"
                figures += [Figure(f"{name}: rows/s", count / seconds, "rows/s", 10_000),
                            Figure(f"{name}: rows/CPU-s", count / cpu, "rows/s", 10_000),
                            Figure(f"{name}: ingest p95", p95, "s", 1.0, at_most=True),
                            Figure(f"{name}: answers not 2xx", len(failed), "count")]
        host.db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-ingest", action="store_true", help="import only, no invoices beside it")
    args = parser.parse_args()
    figures: list[Figure] = []
    for backend in args.backends.split(","):
        if backend == "postgresql" and not common.postgres_ok():
            print("PostgreSQL is not available: skipped")
            continue
        figures += bench_backend(backend, args.rows, not args.no_ingest)
    common.print_table(f"master-data import, {args.rows} rows per pass", figures)
    common.write_results("masterdata_import", figures, rows=args.rows)


if __name__ == "__main__":
    main()
