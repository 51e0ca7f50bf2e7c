"""The job worker: claim due jobs, run each in its own unit of work, retry with backoff.

`stroom worker` runs `run_forever(host)`; `stroom run` starts `start_embedded(host)`, a daemon
thread. Work and the `done` mark commit together, so a worker that dies mid-job (kill -9) leaves
nothing half-done: its transaction rolls back and the job is claimed again once its lease expires.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence

from server import causes
from server.db import utcnow
from server.host import Host
from server.jobs import claims
from server.jobs.claims import Backoff
from server.jobs.handlers import default_chores, default_handlers
from server.jobs.types import Chore, Handler, JobContext, JobView, LostLease, PermanentJobError, Reschedule

log = logging.getLogger("stroom.worker")
Clock = Callable[[], dt.datetime]
DEFAULT_BACKOFF = Backoff()


def default_name() -> str:
    """host:pid:random, unique per worker so a restarted process never inherits old leases."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    """Claims and runs jobs for one host; `clock` is injectable so tests control time."""

    def __init__(self, host: Host, *, name: str | None = None, lease_seconds: float = 60,
                 poll_interval: float = 0.5, batch_size: int = 10, clock: Clock = utcnow,
                 handlers: Mapping[str, Handler] | None = None, backoff: Backoff = DEFAULT_BACKOFF,
                 chores: Sequence[Chore] | None = None):
        self.host = host
        self.name = name or default_name()
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.clock = clock
        self.handlers: dict[str, Handler] = dict(default_handlers() if handlers is None else handlers)
        self.backoff = backoff
        self.chores = tuple(default_chores() if chores is None else chores)
        self._chores_due: dict[str, dt.datetime] = {}  # a chore runs first when the worker starts
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def stop(self) -> None:
        """Ask the worker to finish the job it is running and return from run_forever()."""
        self.stopping.set()

    def run_once(self) -> int:
        """Claim the jobs due now and run them; returns how many were run (done, retried or failed)."""
        jobs = claims.claim(self.host.db, worker=self.name, now=self.clock(), lease=self.lease,
                            limit=self.batch_size, kinds=frozenset(self.handlers))
        ran = 0
        for index, job in enumerate(jobs):
            if self.stopping.is_set():
                claims.release(self.host.db, [j.id for j in jobs[index:]], worker=self.name)
                break
            self._run(job)
            ran += 1
        return ran

    def run_forever(self) -> None:
        """Poll until stop(): run due jobs, sleep `poll_interval` when there are none."""
        log.info("worker %s started", self.name)
        while not self.stopping.is_set():
            self.run_chores()
            try:
                ran = self.run_once()
            except Exception:  # the database may be briefly away; keep the worker alive
                log.exception("worker %s: claiming jobs failed", self.name)
                ran = 0
            if not ran:
                self.stopping.wait(self.poll_interval)
        log.info("worker %s stopped", self.name)

    def run_chores(self) -> int:
        """Run each chore whose time has come (then again `every` later); returns how many ran. A chore that
        fails is logged and tried again at its next time, as a job would be."""
        now, ran = self.clock(), 0
        for chore in self.chores:
            if self._chores_due.get(chore.name, now) > now:
                continue
            self._chores_due[chore.name] = now + chore.every
            try:
                chore.run(self.host, now)
            except Exception:  # the database may be briefly away; the worker stays alive
                log.exception("worker %s: chore %s failed", self.name, chore.name)
            ran += 1
        return ran

    def _run(self, job: JobView) -> None:
        if job.attempts > job.max_attempts:
            self._fail(job, "the job's worker was lost more often than its attempts allow", permanent=True)
            return
        handler = self.handlers[job.kind]
        try:
            self._execute(job, handler)
        except LostLease:
            log.warning("job %s: lease lost to another worker; this run was rolled back", job.id)
            return
        except PermanentJobError as exc:
            self._fail(job, f"{type(exc).__name__}: {exc}", permanent=True, cause=causes.found_in(exc))
            return
        except Exception as exc:  # noqa: BLE001 - any handler error is a failed attempt, retried later
            self._fail(job, "".join(traceback.format_exception(exc, limit=-3)).strip(), cause=causes.found_in(exc))
            return

    def _execute(self, job: JobView, handler: Handler) -> None:
        with self.host.db.unit_of_work() as session:
            # Mark done first on PostgreSQL: it proves ownership and holds the row lock for the run
            # (a rollback undoes it). SQLite would take its global write lock here, so there the
            # mark comes after the handler.
            early = self.host.db.is_postgres
            if early and not claims.finish(session, job.id, worker=self.name, now=self.clock()):
                raise LostLease(job.id)
            outcome = handler(JobContext(job=job, session=session, host=self.host, now=self.clock(),
                                         worker=self.name))
            session.flush()
            if not early and not claims.finish(session, job.id, worker=self.name, now=self.clock()):
                raise LostLease(job.id)
            if isinstance(outcome, Reschedule):
                claims.reschedule(session, job.id, due_at=outcome.due_at, reason=outcome.reason)

    def _fail(self, job: JobView, error: str, *, permanent: bool = False, cause: causes.Cause | None = None) -> None:
        status = claims.fail(self.host.db, job.id, worker=self.name, now=self.clock(), error=error,
                             backoff=self.backoff, permanent=permanent, cause=cause)
        log.warning("job %s (%s) attempt %s failed -> %s: %s", job.id, job.kind, job.attempts, status,
                    error.splitlines()[-1] if error else "")


def run_forever(host: Host, **options: object) -> None:
    """Run a worker in the foreground until SIGTERM or SIGINT (the current job is finished first)."""
    worker = Worker(host, **options)  # type: ignore[arg-type]

    def _stop(signum: int, _frame: object) -> None:
        log.info("worker %s: signal %s, finishing the current job", worker.name, signum)
        worker.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.run_forever()


def start_embedded(host: Host, **options: object) -> Worker:
    """Start a worker on a daemon thread inside the web process (the SQLite default)."""
    worker = Worker(host, **options)  # type: ignore[arg-type]
    worker.thread = threading.Thread(target=worker.run_forever, name="stroom-worker", daemon=True)
    worker.thread.start()
    return worker
