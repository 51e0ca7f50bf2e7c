"""Jobs per second through the worker, and e-mail deliveries per second into the outbox.

    python bench/jobs.py [--jobs N] [--processes P] [--database-url URL]

- no-op jobs, one worker on SQLite (the embedded set-up);
- no-op jobs, one worker and P worker processes on PostgreSQL (--database-url, a database you may
  fill; it is migrated and its jobs table emptied), so the ratio shows what SKIP LOCKED claims buy;
- mail jobs rendered at queue time and written as .eml files by one worker on SQLite.
Writes bench/results/jobs.json.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import tempfile
import time
from pathlib import Path

from sqlalchemy import delete, insert

from server.auth import service as auth
from server.host import open_host
from server.jobs.models import Job
from server.jobs.worker import Worker
from server.mail.service import queue_mail
from server.migrate import upgrade
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def settings_for(url: str, folder: Path) -> Settings:
    return Settings(instance_dir=folder, database_url=url, secret_key="bench", embedded_worker=False,
                    log_level="WARNING")


def fill(url: str, folder: Path, count: int) -> None:
    host = open_host(settings_for(url, folder))
    upgrade(host.db.engine)
    with host.db.engine.begin() as conn:
        conn.execute(delete(Job))
        conn.execute(insert(Job), [{"kind": "noop", "payload": {}, "status": "pending", "attempts": 0,
                                    "max_attempts": 3} for _ in range(count)])
    host.db.dispose()


def drain(url: str, folder: str, barrier: object = None, results: object = None) -> tuple[int, float, float]:
    """Run no-op jobs until none is left; (jobs run, start, end) with start taken once all are ready."""
    host = open_host(settings_for(url, Path(folder)))
    worker = Worker(host, handlers={"noop": lambda ctx: None}, batch_size=25)
    if barrier is not None:
        barrier.wait()  # type: ignore[attr-defined]
    total, start = 0, time.time()
    while ran := worker.run_once():
        total += ran
    outcome = (total, start, time.time())
    host.db.dispose()
    if results is not None:
        results.put(outcome)  # type: ignore[attr-defined]
    return outcome


def noop_rate(url: str, folder: Path, count: int, processes: int) -> float:
    """Jobs per second, not counting process start-up (workers start together behind a barrier)."""
    fill(url, folder, count)
    if processes == 1:
        outcomes = [drain(url, str(folder))]
    else:
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(processes), context.Queue()
        workers = [context.Process(target=drain, args=(url, str(folder), barrier, results))
                   for _ in range(processes)]
        for process in workers:
            process.start()
        outcomes = [results.get(timeout=600) for _ in workers]
        for process in workers:
            process.join()
    done = sum(o[0] for o in outcomes)
    assert done == count, (done, count)
    return count / (max(o[2] for o in outcomes) - min(o[1] for o in outcomes))


def mail_rate(folder: Path, count: int) -> float:
    host = open_host(settings_for(f"sqlite:///{folder / 'mail.db'}", folder))
    upgrade(host.db.engine)
    with host.db.unit_of_work() as session:
        env = auth.ensure_environment(session, "bench")
        for n in range(count):
            queue_mail(session, template="test", to=[f"user{n}@example.com"], language="nl", context={},
                       environment_id=env.id)
    worker = Worker(host, batch_size=25)
    start = time.perf_counter()
    while worker.run_once():
        pass
    elapsed = time.perf_counter() - start
    assert len(list(host.settings.outbox.glob("*.eml"))) == count
    host.db.dispose()
    return count / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--database-url", help="PostgreSQL URL (postgresql+psycopg://...)")
    args = parser.parse_args()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results["sqlite_1_worker_jobs_per_s"] = noop_rate(f"sqlite:///{folder / 'jobs.db'}", folder, args.jobs, 1)
        results["sqlite_mail_to_outbox_per_s"] = mail_rate(folder, min(args.jobs, 500))
        if args.database_url:
            results["pg_1_worker_jobs_per_s"] = noop_rate(args.database_url, folder, args.jobs, 1)
            results[f"pg_{args.processes}_workers_jobs_per_s"] = noop_rate(args.database_url, folder, args.jobs,
                                                                         args.processes)
            results["pg_scale_ratio"] = (results[f"pg_{args.processes}_workers_jobs_per_s"]
                                         / results["pg_1_worker_jobs_per_s"])
    for name, value in results.items():
        print(f"{name:32} {value:10.1f}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "jobs.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
