"""Scale-out on PostgreSQL with real worker processes: every job runs exactly once, a worker killed
with SIGKILL mid-job loses nothing, and SIGTERM lets the current job finish."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, text

from server.host import open_host
from server.jobs.models import Job
from server.jobs.worker import Worker
from tests.conftest import make_settings
from tests.support import databases

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def pg(postgres_url, tmp_path):
    databases.truncate_all(postgres_url)
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS job_runs (job_id integer NOT NULL, worker text NOT NULL)"))
        conn.execute(text("TRUNCATE job_runs"))
    yield engine
    engine.dispose()


@pytest.fixture
def host(pg, postgres_url, tmp_path):
    host = open_host(make_settings(tmp_path, postgres_url))
    yield host
    host.db.dispose()


def add_jobs(engine, count: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(Job), [{"kind": "work", "payload": {"n": n}, "status": "pending", "attempts": 0,
                                    "max_attempts": 3} for n in range(count)])


def spawn(url: str, folder: Path, mode: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.integration.jobs.worker_process", url, str(folder),
                             mode, *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def start_together(folder: Path, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + 60
    while len(list(folder.glob("ready-*"))) < len(processes):
        assert time.monotonic() < deadline, "worker processes did not start"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.05)
    (folder / "go").touch()


def wait_for(path_glob: str, folder: Path, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list(folder.glob(path_glob))
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"{path_glob} did not appear")


def runs(engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT job_id, worker FROM job_runs ORDER BY job_id"))]


def statuses(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT status, count(*) FROM jobs GROUP BY status")).all())


def test_four_worker_processes_run_two_thousand_jobs_each_exactly_once(pg, postgres_url, tmp_path):
    add_jobs(pg, 2000)
    workers = [spawn(postgres_url, tmp_path, "count") for _ in range(4)]
    start_together(tmp_path, workers)
    for process in workers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()[-2000:]
    done = runs(pg)
    with pg.connect() as conn:
        all_ids = sorted(conn.execute(text("SELECT id FROM jobs")).scalars())
    assert [job_id for job_id, _ in done] == all_ids  # each job once: none missing, none twice
    assert statuses(pg) == {"done": 2000}
    assert len({worker for _, worker in done}) >= 2  # the work was really shared


def test_a_job_of_a_worker_killed_mid_job_completes_on_another_worker_after_the_lease(pg, postgres_url, host,
                                                                                       tmp_path):
    add_jobs(pg, 1)
    doomed = spawn(postgres_url, tmp_path, "hang", "--lease", "2")
    start_together(tmp_path, [doomed])
    wait_for("started-*", tmp_path)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(10)
    survivor = Worker(host, name="survivor", poll_interval=0.05,
                      handlers={"work": lambda ctx: ctx.session.execute(
                          text("INSERT INTO job_runs (job_id, worker) VALUES (:j, 'survivor')"), {"j": ctx.job.id})})
    deadline = time.monotonic() + 30
    while statuses(pg).get("done") != 1:
        assert time.monotonic() < deadline, statuses(pg)
        if not survivor.run_once():
            time.sleep(0.1)
    assert [worker for _, worker in runs(pg)] == ["survivor"]  # the killed run's insert was rolled back
    with pg.connect() as conn:
        assert conn.execute(text("SELECT attempts FROM jobs")).scalar() == 2


def test_sigterm_lets_the_current_job_finish_and_hands_back_the_others(pg, postgres_url, tmp_path):
    add_jobs(pg, 3)
    worker = spawn(postgres_url, tmp_path, "slow")
    start_together(tmp_path, [worker])
    wait_for("started-*", tmp_path)
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err.decode()[-2000:]
    assert len(runs(pg)) == 1
    assert statuses(pg) == {"done": 1, "pending": 2}
    with pg.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM jobs WHERE locked_by IS NOT NULL")).scalar() == 0
