"""Round trip: complete a user task over HTTP and get the answer once the instance waits again.

    python bench/roundtrip.py [--tasks N] [--backends sqlite,postgresql]

N instances of a two-step approval (tests/data/bpmn/two_approvals.bpmn) are started in this process;
then one client completes each first task with `POST /api/v1/tasks/{id}/complete` against
`gunicorn -w 2`. The request loads the instance, completes the task, advances to the second user
task (the next wait state), mirrors the tasks, writes state and audit and commits; its latency is the
round trip. p50 and p95 in ms per backend. Writes bench/results/roundtrip.json.
"""
from __future__ import annotations

import argparse
import http.client
import json
import time
from pathlib import Path

from common import (
    ROOT,
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

MODEL = ROOT / "tests" / "data" / "bpmn" / "two_approvals.bpmn"
P95_TARGET_MS = 25.0


def start_instances(url: str, folder: Path, count: int) -> list[int]:
    """Start `count` two-approval instances; returns the ids of their open first tasks."""
    from sqlalchemy import select

    from server.auth import service as auth
    from server.auth.actor import Actor
    from server.host import open_host
    from server.instances import service as instances
    from server.tasks.models import HumanTask

    host = open_host(settings_for(url, folder))
    try:
        with host.db.unit_of_work() as session:
            env = auth.ensure_environment(session, auth.DEFAULT_ENVIRONMENT)
            system = Actor.system(env.id, "bench")
            instances.deploy(session, host, actor=system, key="two_approvals", bpmn={MODEL.name: MODEL.read_bytes()})
        for _ in range(count):
            with host.db.unit_of_work() as session:
                instances.start(session, host, actor=system, key="two_approvals", data={"route_group": "creditors"})
        with host.db.unit_of_work() as session:
            return list(session.scalars(select(HumanTask.id).where(HumanTask.element_id == "first_approval",
                                                                   HumanTask.status == "open")
                                        .order_by(HumanTask.id)))
    finally:
        host.db.dispose()


def measure(backend: str, count: int) -> dict[str, float]:
    with temp_folder(f"roundtrip-{backend}") as tmp, fresh_database(backend, Path(tmp)) as url:
        folder = Path(tmp)
        prepared = prepare(url, folder)
        task_ids = start_instances(url, folder, count)
        body = json.dumps({"data": {"approved": True}}).encode()
        samples: list[float] = []
        with gunicorn(url, folder, workers=2) as server:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            for i, task_id in enumerate(task_ids):
                start = time.perf_counter()
                status, answer = request(server.port, "POST", f"/api/v1/tasks/{task_id}/complete", body,
                                         token=prepared.token, content_type="application/json", conn=conn)
                elapsed = (time.perf_counter() - start) * 1000
                if status != 200:
                    raise SystemExit(f"completing task {task_id} answered {status}: {answer}")
                if i >= 10:  # the first requests of each worker load the model and warm the caches
                    samples.append(elapsed)
            conn.close()
        return {"p50": percentile(samples, 50), "p95": percentile(samples, 95), "n": len(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    figures: list[Figure] = []
    details = {}
    for backend in [b for b in args.backends.split(",") if b != "postgresql" or postgres_ok()]:
        result = details[backend] = measure(backend, args.tasks)
        figures.append(Figure(f"complete task -> next wait state p50 ({backend})", result["p50"], "ms"))
        figures.append(Figure(f"complete task -> next wait state p95 ({backend})", result["p95"], "ms",
                              P95_TARGET_MS, at_most=True))
    print_table("Round trip: complete a user task over HTTP until the next wait state", figures)
    write_results("roundtrip", figures, details=details)


if __name__ == "__main__":
    main()
