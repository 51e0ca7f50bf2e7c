"""Task list latency: `GET /api/v1/tasks` first page for a group member, 100,000 open and 400,000 done tasks.

    python bench/tasklist.py [--open N] [--done N] [--requests R] [--backends sqlite,postgresql]

The tasks (and one candidate row each) are bulk-inserted straight into a fresh database: groups
creditors / purchasing / managers / sales, 10% assigned to a user, three process keys, 200
suppliers, amounts and due dates spread out. Then R requests per common filter against
`gunicorn -w 2`, one client; p50 and p95 in ms. PostgreSQL is ANALYZEd (autovacuum would do it);
SQLite is not (nothing runs ANALYZE for a user). Writes bench/results/tasklist.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from common import (
    BENCH_LOGIN,
    Figure,
    fresh_database,
    gunicorn,
    percentile,
    postgres_ok,
    prepare,
    print_table,
    request,
    settings_for,
    temp_folder,
    write_results,
)

P95_TARGET_MS = 50.0
GROUPS = ("creditors", "purchasing", "managers", "sales")
PROCESSES = ("purchase_invoice", "expense_declaration", "sales_invoice")
USERS = (BENCH_LOGIN, "carla", "piet", "admin")
FILTERS = {
    "open (default)": "",
    "groups=mine": "groups=mine",
    "mine=true": "mine=true",
    "process": "process=expense_declaration",
    "supplier prefix": "supplier=supplier%2017",
    "amount range": "amount_min=100&amount_max=200",
    "due before": "due_before=2026-02-01",
    "status=done": "status=done",
    "status=all": "status=all",
}
BATCH = 10_000


def _rows(count: int, *, done: bool, instance_ids: list[int], env_id: int, rng: random.Random,
          first_id: int) -> list[dict[str, Any]]:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for n in range(count):
        group = GROUPS[rng.randrange(len(GROUPS))]
        assignee = USERS[rng.randrange(len(USERS))] if rng.random() < 0.1 else None
        created = now - dt.timedelta(minutes=rng.randrange(500_000))
        supplier = rng.randrange(200)
        rows.append({
            "id": first_id + n, "environment_id": env_id, "instance_id": instance_ids[n % len(instance_ids)],
            "engine_task_id": f"t{first_id + n}", "element_id": "approve", "name": "Approve invoice",
            "process_key": PROCESSES[rng.randrange(len(PROCESSES))],
            "status": "completed" if done else ("claimed" if assignee else "open"), "assignee": assignee,
            "owner": None, "candidate_users": [], "candidate_groups": [group], "candidate_roles": [],
            "form": {}, "supplier_name": f"Supplier {supplier:03d} B.V.",
            "supplier_search": f"supplier {supplier:03d} bv",  # as normalise.search_key folds it
            "amount": Decimal(rng.randrange(1, 1_000_000)) / 100,
            "due_at": now + dt.timedelta(hours=rng.randrange(-2000, 4000)), "created_at": created,
            "completed_at": created + dt.timedelta(hours=5) if done else None,
            "completed_by": USERS[rng.randrange(len(USERS))] if done else None, "outcome": {}, "comments": [],
            "lock_version": 1,
        })
    return rows


COLUMNS = ("id", "environment_id", "instance_id", "engine_task_id", "element_id", "name", "process_key", "status",
           "assignee", "owner", "candidate_users", "candidate_groups", "candidate_roles", "form", "supplier_name",
           "supplier_search", "amount", "due_at", "created_at", "completed_at", "completed_by", "outcome", "comments", "lock_version")
JSON_COLUMNS = {"candidate_users", "candidate_groups", "candidate_roles", "form", "outcome", "comments"}


def _plain(row: dict[str, Any], *, sqlite: bool) -> tuple[Any, ...]:
    """A row as the driver takes it: JSON as text; on SQLite naive UTC text dates and float amounts."""
    values = []
    for column in COLUMNS:
        value = row[column]
        if column in JSON_COLUMNS:
            value = json.dumps(value)
        elif sqlite and isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", timespec="microseconds")
        elif sqlite and isinstance(value, Decimal):
            value = float(value)
        values.append(value)
    return tuple(values)


def _write(raw: Any, rows: list[dict[str, Any]], *, sqlite: bool) -> None:
    """Bulk-write tasks and their candidate rows on a raw driver connection (COPY on PostgreSQL)."""
    tasks = [_plain(r, sqlite=sqlite) for r in rows]
    candidates = [(r["id"], "group", r["candidate_groups"][0]) for r in rows]
    cursor = raw.cursor()
    if sqlite:
        marks = ", ".join("?" for _ in COLUMNS)
        cursor.executemany(f"INSERT INTO human_tasks ({', '.join(COLUMNS)}) VALUES ({marks})", tasks)
        cursor.executemany("INSERT INTO task_candidates (task_id, kind, name) VALUES (?, ?, ?)", candidates)
    else:
        with cursor.copy(f"COPY human_tasks ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for task in tasks:
                copy.write_row(task)
        with cursor.copy("COPY task_candidates (task_id, kind, name) FROM STDIN") as copy:
            for candidate in candidates:
                copy.write_row(candidate)
    cursor.close()


def fill(url: str, folder: Path, *, open_count: int, done_count: int) -> float:
    """Bulk-insert the tasks with their candidate rows; returns the seconds it took."""
    from sqlalchemy import insert, select, text

    from server.auth.models import Environment
    from server.host import open_host
    from server.instances.models import ProcessInstance, ProcessModelVersion

    host = open_host(settings_for(url, folder))
    rng = random.Random(11)
    sqlite = not host.db.is_postgres
    start = time.perf_counter()
    try:
        with host.db.unit_of_work() as session:
            env_id = session.scalars(select(Environment.id)).first()
            version_id = session.scalars(select(ProcessModelVersion.id)).first()
            session.execute(insert(ProcessInstance), [
                {"environment_id": env_id, "model_version_id": version_id, "model_key": "purchase_invoice",
                 "status": "running", "state": "{}", "started_by": "bench"} for _ in range(1000)])
            instance_ids = list(session.scalars(select(ProcessInstance.id)))
        raw = host.db.engine.raw_connection()
        try:
            if sqlite:
                raw.execute("BEGIN IMMEDIATE")
            next_id = 1
            for done, total in ((False, open_count), (True, done_count)):
                for offset in range(0, total, BATCH):
                    rows = _rows(min(BATCH, total - offset), done=done, instance_ids=instance_ids, env_id=env_id,
                                 rng=rng, first_id=next_id)
                    next_id += len(rows)
                    _write(raw, rows, sqlite=sqlite)
            raw.commit()
        finally:
            raw.close()
        if not sqlite:
            with host.db.engine.connect() as conn:
                conn.execute(text("SELECT setval('human_tasks_id_seq', (SELECT max(id) FROM human_tasks))"))
                conn.commit()
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    finally:
        host.db.dispose()
    return time.perf_counter() - start


def measure(backend: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    with temp_folder(f"tasklist-{backend}") as tmp, fresh_database(backend, Path(tmp)) as url:
        folder = Path(tmp)
        prepared = prepare(url, folder, groups=("creditors", "purchasing"))
        seconds = fill(url, folder, open_count=args.open, done_count=args.done)
        print(f"  {backend}: inserted {args.open:,} open + {args.done:,} done tasks in {seconds:.0f} s")
        results: dict[str, dict[str, float]] = {}
        with gunicorn(url, folder, workers=2) as server:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            for name, query in FILTERS.items():
                samples: list[float] = []
                deadline = time.perf_counter() + args.budget  # slow filters stop early (at least 5 samples)
                for i in range(args.requests + 3):
                    if len(samples) >= 5 and time.perf_counter() > deadline:
                        break
                    start = time.perf_counter()
                    status, body = request(server.port, "GET", f"/api/v1/tasks?{query}", token=prepared.token,
                                           conn=conn)
                    elapsed = (time.perf_counter() - start) * 1000
                    if status != 200:
                        raise SystemExit(f"GET /api/v1/tasks?{query} answered {status}: {body}")
                    if i >= 3:
                        samples.append(elapsed)
                results[name] = {"p50": percentile(samples, 50), "p95": percentile(samples, 95),
                                 "total": body["total"], "page": len(body["tasks"])}
            conn.close()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--done", type=int, default=400_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--budget", type=float, default=8.0, help="seconds of sampling per filter at most")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    figures: list[Figure] = []
    details = {}
    for backend in [b for b in args.backends.split(",") if b != "postgresql" or postgres_ok()]:
        results = details[backend] = measure(backend, args)
        for name, result in results.items():
            label = f"{backend}: {name} ({result['total']:,} match)"
            figures.append(Figure(f"{label} p50", result["p50"], "ms"))
            figures.append(Figure(f"{label} p95", result["p95"], "ms", P95_TARGET_MS, at_most=True))
    print_table(f"Task list: GET /api/v1/tasks first page, {args.open:,} open + {args.done:,} done tasks", figures)
    write_results("tasklist", figures, open=args.open, done=args.done, details=details)


if __name__ == "__main__":
    main()
