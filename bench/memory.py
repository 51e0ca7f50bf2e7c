"""Server memory: RSS of the gunicorn web workers while 10,000 purchase-invoice instances are created.

    python bench/memory.py [--count N] [--backend sqlite|postgresql] [--clients C]

Unique auto-approving invoices are posted to `gunicorn -w 2` (STROOM_UBL_RULES=off, so no validator
processes are involved and only the web workers are measured); each worker's resident set size is
read from /proc at checkpoints. Flat after warm-up means the RSS at N is close to the RSS at N/5.
Writes bench/results/memory.json.
"""
from __future__ import annotations

import argparse
import http.client
import threading
from pathlib import Path

from common import (
    Figure,
    auto_approve_invoice,
    fresh_database,
    gunicorn,
    prepare,
    print_table,
    request,
    temp_folder,
    write_results,
)

FLAT_TARGET = 1.10  # RSS at N over RSS at N/5


def post(port: int, token: str, numbers: range, clients: int) -> int:
    """Post the invoices numbered `numbers` with C threads; returns how many were not accepted."""
    source = iter(numbers)
    lock = threading.Lock()
    failures = [0]

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                n = next(source, None)
            if n is None:
                break
            status, _ = request(port, "POST", "/api/v1/invoices", auto_approve_invoice(n, run="mem"),
                                   token=token, conn=conn)
            if status != 201:
                with lock:
                    failures[0] += 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    checkpoints = sorted({args.count // 10, args.count // 5, args.count * 2 // 5, args.count * 3 // 5,
                          args.count * 4 // 5, args.count})
    series: dict[int, list[float]] = {}
    failures = 0
    with temp_folder("memory") as tmp, fresh_database(args.backend, Path(tmp)) as url:
        folder = Path(tmp)
        prepared = prepare(url, folder)
        with gunicorn(url, folder, workers=2, STROOM_UBL_RULES="off") as server:
            series[0] = server.rss_mb()
            done = 0
            for mark in checkpoints:
                failures += post(server.port, prepared.token, range(done, mark), args.clients)
                done = mark
                series[mark] = server.rss_mb()
                print(f"  {mark:>6,} instances: worker RSS {', '.join(f'{r:.0f}' for r in series[mark])} MB")
    early, last = max(series[args.count // 5]), max(series[args.count])
    figures = [
        Figure("worker RSS at start (largest worker)", max(series[0]), "MB"),
        Figure(f"worker RSS after {args.count // 5:,} instances", early, "MB"),
        Figure(f"worker RSS after {args.count:,} instances", last, "MB"),
        Figure(f"  growth {args.count // 5:,} -> {args.count:,} (flat = 1.0)", last / early, "x", FLAT_TARGET,
               at_most=True),
        Figure("invoices not accepted", failures, "count"),
    ]
    print_table(f"Memory: gunicorn -w 2 workers while {args.count:,} instances are created ({args.backend})",
                figures)
    write_results("memory", figures, backend=args.backend, series={str(k): v for k, v in series.items()})


if __name__ == "__main__":
    main()
