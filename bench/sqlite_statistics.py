"""SQLite planner statistics: does `PRAGMA optimize` (or ANALYZE) keep the task-list plans within target?

    python bench/sqlite_statistics.py [--open N] [--done N] [--requests R]

A fresh SQLite database gets N open and N done tasks bulk-loaded (as bench/tasklist.py loads them,
default 100,000 + 100,000) beside 100,000 stored invoices. The task list's first page is then asked
in-process (`tasks.listing.list_tasks`, the query every edge runs) for each common filter in three
states of the statistics, on the same file:

- *none*: straight after the bulk load (sqlite_stat1 empty), as the planner sees a fresh import;
- *optimize*: after `PRAGMA analysis_limit=1000; PRAGMA optimize` on a fresh connection (what each
  writing connection runs when it closes and once an hour, and what a master-data import ends with);
- *analyze limited*: after `PRAGMA analysis_limit=1000; ANALYZE` (what `PRAGMA optimize` runs once
  a connection's queries made it worth it, and what a master-data import runs on its tables);
- *analyze*: after a full `ANALYZE`;
- *none again*, *none at last*: the statistics dropped (to tell a state's effect from load drifting).

For each state and filter: the plans of the list's queries (EXPLAIN QUERY PLAN of the capped count and
the page, their index choices) and
p50 / p95 of R calls in wall and CPU milliseconds. Target: p95 <= 50 ms per filter. Writes
bench/results/sqlite_statistics.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import tasklist
from common import (
    BENCH_LOGIN,
    Figure,
    fresh_database,
    percentile,
    prepare,
    print_table,
    settings_for,
    temp_folder,
    write_results,
)
from sqlalchemy import event, select

from server.auth import service as auth
from server.auth.models import User
from server.host import open_host
from server.tasks.listing import TaskQuery, list_tasks

P95_TARGET_MS = 50.0
FILTERS: dict[str, dict[str, Any]] = {
    "open (default)": {},
    "groups=mine": {"my_groups": True},
    "mine=true": {"mine": True},
    "process": {"process": "expense_declaration"},
    "supplier prefix": {"supplier": "supplier 017"},
    "amount range": {"amount_min": Decimal(100), "amount_max": Decimal(200)},
    "due before": {"due_before": dt.datetime(2026, 2, 1, tzinfo=dt.UTC)},
    "status=done": {"status": "done"},
    "status=all": {"status": "all"},
}
# "none again" drops the statistics after the full ANALYZE: it tells a state's effect from the
# machine's load drifting over the run.
STATES = ("none", "optimize", "analyze limited", "none again", "analyze", "none at last")


def add_invoices(url: str, count: int) -> None:
    """`count` stored invoices (the invoice table's own statistics take part in ANALYZE too)."""
    import sqlite3

    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:
        env = raw.execute("SELECT id FROM environments ORDER BY id LIMIT 1").fetchone()[0]
        columns = [row[1] for row in raw.execute("PRAGMA table_info(invoices)")]
        wanted = {"environment_id": env, "status": "approved", "currency": "EUR", "amount": 100.0}
        required = [row[1] for row in raw.execute("PRAGMA table_info(invoices)") if row[3] and row[4] is None
                    and row[1] != "id"]
        names = [c for c in columns if c in required or c in wanted or c in ("number", "supplier_name")]

        def value(name: str, n: int) -> Any:
            if name in wanted:
                return wanted[name]
            if name in ("number", "supplier_name", "sender"):
                return f"{name}-{n}"
            if name.endswith(("_at", "_date")) or name == "received":
                return "2026-01-01 00:00:00.000000"
            return n if name.endswith(("_id", "count")) else f"{name}-{n}"
        marks = ", ".join("?" for _ in names)
        try:
            raw.executemany(f"INSERT INTO invoices ({', '.join(names)}) VALUES ({marks})",
                            ([value(name, n) for name in names] for n in range(count)))
        except sqlite3.Error as exc:  # the invoice table's shape moved on: the task list does not read it
            print(f"  (no invoices loaded: {exc})")


def plan_of(session: Any, statement: str, params: Any) -> list[str]:
    rows = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
    return [row[-1] for row in rows]


def measure(host: Any, actor: Any, requests: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name, filters in FILTERS.items():
        captured: list[tuple[str, Any]] = []

        def capture(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool,
                    captured: list[tuple[str, Any]] = captured) -> None:
            if "human_tasks" in statement:
                captured.append((statement, params))
        wall: list[float] = []
        cpu: list[float] = []
        with host.db.reading() as session:
            engine = session.get_bind()  # the read-only engine
            event.listen(engine, "before_cursor_execute", capture)
            list_tasks(session, actor, TaskQuery(**filters))
            event.remove(engine, "before_cursor_execute", capture)
            plan = [step for statement in captured for step in [*plan_of(session, *statement), "||"]]
            for _ in range(requests):
                started, used = time.perf_counter(), time.thread_time()
                page = list_tasks(session, actor, TaskQuery(**filters))
                wall.append(1000 * (time.perf_counter() - started))
                cpu.append(1000 * (time.thread_time() - used))
        results[name] = {"plan": plan, "total": page.total, "p50": percentile(wall, 50), "p95": percentile(wall, 95),
                         "cpu_p50": percentile(cpu, 50), "cpu_p95": percentile(cpu, 95)}
    return results


def set_state(host: Any, state: str) -> float:
    """Bring the statistics to `state`; returns the CPU seconds that took."""
    used = time.process_time()
    with host.db.engine.connect() as conn:
        if state.startswith("none "):
            conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
        elif state == "analyze limited":  # what PRAGMA optimize runs once a connection's queries ask for it
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("ANALYZE")
        elif state == "optimize":
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
            conn.exec_driver_sql("PRAGMA optimize")
        elif state == "analyze":
            conn.exec_driver_sql("PRAGMA analysis_limit=0")
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
        stats = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar()
        rows = conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar() if stats else 0
    print(f"  {state}: sqlite_stat1 holds {rows} rows ({time.process_time() - used:.2f} s CPU to get there)")
    return time.process_time() - used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--done", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    figures: list[Figure] = []
    details: dict[str, Any] = {}
    with temp_folder("sqlite-statistics") as tmp, fresh_database("sqlite", Path(tmp)) as url:
        folder = Path(tmp)
        prepare(url, folder, groups=("creditors", "purchasing"))
        seconds = tasklist.fill(url, folder, open_count=args.open, done_count=args.done)
        add_invoices(url, args.invoices)
        print(f"  loaded {args.open:,} open + {args.done:,} done tasks, {args.invoices:,} invoices ({seconds:.0f} s)")
        host = open_host(settings_for(url, folder))
        with host.db.engine.connect() as conn:  # a bulk load as the bench does it leaves no statistics
            conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
            conn.commit()
        with host.db.reading() as session:
            user = session.scalars(select(User).where(User.login == BENCH_LOGIN)).one()
            actor = auth.actor_for(session, user)
        for state in STATES:
            set_state(host, state)
            results = details[state] = measure(host, actor, args.requests)
            for name, result in results.items():
                uses = "; ".join(result["plan"])
                print(f"  {state:8} {name:16} p95 {result['p95']:7.1f} ms (CPU {result['cpu_p95']:6.1f}) "
                      f"{result['total']:>7} match  plan: {uses[:150]}")
                figures.append(Figure(f"{state}: {name} p95", result["p95"], "ms", P95_TARGET_MS, at_most=True))
                figures.append(Figure(f"{state}: {name} CPU p95", result["cpu_p95"], "ms"))
        host.db.dispose()
    for name in FILTERS:
        plans = {state: details[state][name]["plan"] for state in STATES}
        same = all(plan == plans["none"] for plan in plans.values())
        print(f"  {name:16} plan {'the same in every state' if same else 'CHANGES: ' + str(plans)}")
    details["same_plans"] = all(details[s][n]["plan"] == details["none"][n]["plan"] for s in STATES for n in FILTERS)
    print_table(f"SQLite statistics and the task list, {args.open:,} open + {args.done:,} done tasks", figures)
    write_results("sqlite_statistics", figures, open=args.open, done=args.done, details=details)


if __name__ == "__main__":
    main()
