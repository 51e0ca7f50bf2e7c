"""A worker OS process for the scale-out tests.

python -m tests.integration.jobs.worker_process URL FOLDER MODE [--lease S]

Modes (the handler of the `work` job kind): `count` records each run in `job_runs` and exits after
a short idle spell; `hang` records the run and then hangs inside the job (to be killed); `slow` takes
a second and a half per job (to be stopped with SIGTERM). Each process writes `ready-<pid>` once
imported and waits for FOLDER/go before claiming, so all workers start together.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sqlalchemy import text

from server.host import open_host
from server.jobs.types import JobContext
from server.jobs.worker import Worker, run_forever
from server.settings import Settings


def record(ctx: JobContext) -> None:
    ctx.session.execute(text("INSERT INTO job_runs (job_id, worker) VALUES (:job, :worker)"),
                        {"job": ctx.job.id, "worker": ctx.worker})


def handlers(mode: str, folder: Path) -> dict:
    def hang(ctx: JobContext) -> None:
        record(ctx)
        ctx.session.flush()
        (folder / f"started-{ctx.job.id}").touch()
        time.sleep(600)

    def slow(ctx: JobContext) -> None:
        (folder / f"started-{ctx.job.id}").touch()
        time.sleep(1.5)
        record(ctx)

    return {"work": {"count": record, "hang": hang, "slow": slow}[mode]}


def count_until_idle(worker: Worker, idle_seconds: float = 1.0) -> None:
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < idle_seconds:
        if worker.run_once():
            idle_since = time.monotonic()
        else:
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("folder", type=Path)
    parser.add_argument("mode", choices=("count", "hang", "slow"))
    parser.add_argument("--lease", type=float, default=60)
    args = parser.parse_args()
    settings = Settings(instance_dir=args.folder / "instance", database_url=args.url, secret_key="test",
                        testing=True, embedded_worker=False, log_level="WARNING")
    host = open_host(settings)
    (args.folder / f"ready-{os.getpid()}").touch()
    while not (args.folder / "go").exists():
        time.sleep(0.02)
    options = {"lease_seconds": args.lease, "poll_interval": 0.05, "batch_size": 25,
               "handlers": handlers(args.mode, args.folder)}
    if args.mode == "count":
        count_until_idle(Worker(host, **options))
    else:
        run_forever(host, **options)
    host.db.dispose()


if __name__ == "__main__":
    main()
