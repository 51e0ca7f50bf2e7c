"""Soak: mixed load from several client processes against gunicorn + a worker on PostgreSQL.

    python bench/soak.py [--seconds S] [--clients N] [--web-workers W] [--threads T]
    (make soak; SOAK_SECONDS=120)

Each client process loops until the time is up, choosing by weight: ingest an invoice (half of them
auto-approve, half wait for the creditors group), list tasks, approve one of the open tasks, or (as
the admin) suspend and resume a running instance. Prints requests per second, the error count (5xx
or no answer; must be 0), p95 latency per kind, the server's memory at start and end, then waits for
the jobs to drain and runs the consistency check: the audit chain verifies, every acknowledged
document is stored with an outcome, and every accepted one has its workflow. Exit status 1 when any
of that fails. Writes bench/results/soak.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from common import (
    BIN,
    ROOT,
    Figure,
    auto_approve_invoice,
    fresh_database,
    gunicorn,
    percentile,
    postgres_ok,
    prepare,
    print_table,
    request,
    rss_of,
    server_env,
    settings_for,
    temp_folder,
    write_results,
)

WEIGHTS = {"ingest": 3, "list": 5, "approve": 3, "admin": 1}
_HUMAN = (ROOT / "server" / "demo_invoices" / "unknown_bank_account.xml").read_bytes()


def human_invoice(n: int, run: str) -> bytes:
    """The unknown-bank-account demo invoice (routed to creditors) with a unique number."""
    return _HUMAN.replace(b"<cbc:ID>PT-2026-0411</cbc:ID>", f"<cbc:ID>S{run}-{n}</cbc:ID>".encode(), 1)


def admin_token(url: str, folder: Path) -> str:
    from server.auth import service as auth
    from server.auth import tokens
    from server.auth.actor import Actor
    from server.host import open_host

    host = open_host(settings_for(url, folder))
    try:
        with host.db.unit_of_work() as session:
            env = auth.ensure_environment(session, auth.DEFAULT_ENVIRONMENT)
            system = Actor.system(env.id, "soak")
            user = auth.create_user(session, env.id, "soak-admin", actor=system, roles=("admin",))
            return tokens.create_token(session, user, actor=system)[1]
    finally:
        host.db.dispose()


def client(index: int, port: int, token: str, admin: str, deadline: float, out: Any) -> None:
    """One client process: weighted random operations until the deadline; results go to `out`."""
    import http.client

    rng = random.Random(index)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples: list[tuple[str, int, float]] = []
    acknowledged: list[int] = []
    kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
    n = 0
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        started = time.perf_counter()
        try:
            status = _operate(kind, conn, port, token, admin, rng, index, n, acknowledged)
        except OSError:
            status = 0  # no answer at all
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        samples.append((kind, status, (time.perf_counter() - started) * 1000))
        n += 1
    out.put({"samples": samples, "acknowledged": acknowledged})


def _operate(kind: str, conn: Any, port: int, token: str, admin: str, rng: random.Random, index: int, n: int,
             acknowledged: list[int]) -> int:
    if kind == "ingest":
        xml = auto_approve_invoice(n, run=f"{index}x") if n % 2 else human_invoice(n, f"{index}")
        status, body = request(port, "POST", "/api/v1/invoices", xml, token=token, conn=conn)
        if status in (200, 201) and body:
            acknowledged.append(body["document_id"])
        return status
    if kind == "list":
        return request(port, "GET", "/api/v1/tasks?limit=20", token=token, conn=conn)[0]
    if kind == "approve":
        status, body = request(port, "GET", "/api/v1/tasks?limit=20", token=token, conn=conn)
        tasks = (body or {}).get("tasks") or []
        if status != 200 or not tasks:
            return status
        task = rng.choice(tasks)
        payload = json.dumps({"comment": "soak", "data": {"approved": True}}).encode()
        return request(port, "POST", f"/api/v1/tasks/{task['id']}/approve", payload, token=token,
                       content_type="application/json", conn=conn)[0]
    status, body = request(port, "GET", "/api/v1/process-instances?status=running&limit=20", token=admin,
                           conn=conn)
    items = (body or {}).get("items") or []
    if status != 200 or not items:
        return status
    instance = rng.choice(items)["id"]
    reason = json.dumps({"reason": "soak: admin intervention"}).encode()
    status = request(port, "POST", f"/api/v1/process-instances/{instance}/suspend", reason, token=admin,
                     content_type="application/json", conn=conn)[0]
    if status == 200:
        status = request(port, "POST", f"/api/v1/process-instances/{instance}/resume", reason, token=admin,
                         content_type="application/json", conn=conn)[0]
    return status


def drain_jobs(url: str, timeout: float = 120) -> int:
    """Wait until no job is pending and due or running; returns how many are left."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM jobs WHERE status = 'running' OR "
                                         "(status = 'pending' AND due_at <= now())")).scalar() or 0
            if not left or time.monotonic() > deadline:
                return int(left)
            time.sleep(1)
    finally:
        engine.dispose()


def consistency(url: str, folder: Path, acknowledged: set[int]) -> dict[str, Any]:
    """The audit chain, every acknowledged document stored with an outcome, accepted ones started."""
    from sqlalchemy import select

    from server.audit.verify import verify
    from server.host import open_host
    from server.invoices.models import ReceivedDocument

    host = open_host(settings_for(url, folder))
    try:
        with host.db.unit_of_work() as session:
            chain = verify(session)
            documents = {d.id: (d.status, d.instance_id) for d in session.scalars(select(ReceivedDocument))}
    finally:
        host.db.dispose()
    return {"audit_ok": chain.ok, "audit_entries": chain.checked, "documents": len(documents),
            "acknowledged": len(acknowledged), "lost": sorted(acknowledged - set(documents)),
            "without_outcome": sorted(i for i, (s, _) in documents.items() if s not in ("accepted", "rejected", "waiting")),
            "accepted_without_workflow": sorted(i for i, (s, inst) in documents.items()
                                                if s == "accepted" and inst is None),
            "statuses": dict(Counter(s for s, _ in documents.values()))}


def run(seconds: float, clients: int, web_workers: int, threads: int = 2) -> int:
    with temp_folder("soak") as tmp, fresh_database("postgresql", Path(tmp)) as url:
        folder = Path(tmp)
        prepared = prepare(url, folder)
        admin = admin_token(url, folder)
        env = server_env(url, folder, STROOM_UBL_RULES="off")
        worker = subprocess.Popen([str(BIN / "stroom"), "worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with gunicorn(url, folder, workers=web_workers, threads=threads,
                          STROOM_UBL_RULES="off") as server:
                rss_start = {"web": server.rss_mb(), "worker": rss_of(worker.pid)}
                print(f"soak: {seconds:.0f} s, {clients} clients, gunicorn -w {web_workers} --threads {threads}, "
                      f"1 worker, PostgreSQL; memory at start {rss_start}")
                queue: Any = multiprocessing.Queue()
                deadline = time.monotonic() + seconds
                procs = [multiprocessing.Process(target=client, args=(i, server.port, prepared.token, admin,
                                                                      deadline, queue)) for i in range(clients)]
                started = time.monotonic()
                for p in procs:
                    p.start()
                results = [queue.get(timeout=seconds + 300) for _ in procs]
                elapsed = time.monotonic() - started
                for p in procs:
                    p.join(30)
                rss_end = {"web": server.rss_mb(), "worker": rss_of(worker.pid)}
                left = drain_jobs(url)
        finally:
            worker.terminate()
            worker.wait(30)
        samples = [s for r in results for s in r["samples"]]
        acknowledged = {d for r in results for d in r["acknowledged"]}
        check = consistency(url, folder, acknowledged)
    return report(samples, elapsed, rss_start, rss_end, left, check)


def report(samples: list[tuple[str, int, float]], elapsed: float, rss_start: dict, rss_end: dict, left: int,
           check: dict[str, Any]) -> int:
    by_kind: dict[str, list[float]] = defaultdict(list)
    statuses: Counter[int] = Counter()
    for kind, status, ms in samples:
        by_kind[kind].append(ms)
        statuses[status] += 1
    errors = sum(count for status, count in statuses.items() if status == 0 or status >= 500)
    figures = [Figure("requests per second", len(samples) / elapsed, "req/s"),
               Figure("errors (5xx or no answer)", float(errors), "count", target=0, at_most=True),
               Figure("4xx answers (conflicts, lost races)", float(sum(c for s, c in statuses.items()
                                                                         if 400 <= s < 500)), "count")]
    figures += [Figure(f"p95 latency: {kind} ({len(ms)} ops)", percentile(ms, 95), "ms")
                for kind, ms in sorted(by_kind.items())]
    figures += [Figure("web workers RSS at start (sum)", sum(rss_start["web"]), "MB"),
                Figure("web workers RSS at end (sum)", sum(rss_end["web"]), "MB"),
                Figure("job worker RSS start -> end", rss_end["worker"] - rss_start["worker"], "MB"),
                Figure("jobs still due after the drain", float(left), "jobs", target=0, at_most=True)]
    print_table(f"Soak: {elapsed:.0f} s of mixed load", figures)
    print(f"\nstatuses: {dict(sorted(statuses.items()))}")
    print(f"consistency: {json.dumps(check)}")
    write_results("soak", figures, statuses=dict(statuses), consistency=check, rss_start=rss_start, rss_end=rss_end)
    ok = (errors == 0 and check["audit_ok"] and not check["lost"] and not check["without_outcome"]
          and not check["accepted_without_workflow"])
    print("\nSOAK OK" if ok else "\nSOAK FAILED")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", "600")))
    parser.add_argument("--clients", type=int, default=int(os.environ.get("SOAK_CLIENTS", "4")))
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="gunicorn --threads (README: 2 on PostgreSQL)")
    args = parser.parse_args()
    if not postgres_ok():
        raise SystemExit("the soak needs PostgreSQL (STROOM_TEST_PG_URL)")
    raise SystemExit(run(args.seconds, args.clients, args.web_workers, args.threads))


if __name__ == "__main__":
    main()
