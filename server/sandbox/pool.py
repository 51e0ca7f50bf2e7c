"""The parent side: a lazily started pool of worker processes, JSON over pipes, the wall-time limit.

A worker is a child process (never a thread, never a fork of the server): `python -I -B` with a
minimal environment, no inherited descriptors but its two pipes (so no database connection or
listening socket), stderr to /dev/null, and an empty read-only temporary directory as its working
directory. The child sets its own rlimits (server.sandbox.worker). The parent enforces wall time: a
worker that does not answer in time is killed and replaced; so is one that broke any limit, died, or
served its quota of jobs. Workers see EOF on stdin and exit when the server goes, and are reaped by
`shutdown()` (registered with atexit) when it stops in order.
"""
from __future__ import annotations

import atexit
import json
import os
import pwd
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from server.sandbox.errors import LIMITS, LimitExceeded, SandboxError, ScriptFailed, ScriptRefused
from server.sandbox.limits import Limits, from_environ

_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds the `server` package
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from server.sandbox.worker import main; main(sys.argv[2:])")
_START_SECONDS = 30.0  # a cold interpreter on a busy machine; not part of any script's wall time
_ENV = {"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"}


class _Died(Exception):
    pass


class Worker:
    """One child process and its pipes."""

    def __init__(self, limits: Limits):
        identity = _identity(limits.user)
        args = [sys.executable, "-I", "-B", "-c", _BOOT, _ROOT, str(limits.cpu_seconds),
                str(limits.memory_bytes), str(limits.output_bytes), str(limits.jobs_per_worker)]
        self.workdir = tempfile.mkdtemp(prefix="stroom-script-")
        os.chmod(self.workdir, 0o555)
        try:
            self.proc = subprocess.Popen(  # our own interpreter and module, no shell
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                close_fds=True, cwd=self.workdir, env=dict(_ENV), start_new_session=True, **identity)
        except OSError as exc:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise SandboxError(f"a script worker could not be started: {exc}") from None
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._in, self._out = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        os.set_blocking(self._in, False)
        self.jobs = 0
        self._buffer = b""
        try:
            ready = self._read_line(time.monotonic() + _START_SECONDS, 64) == b"ready"
        except (TimeoutError, OverflowError, _Died):
            ready = False
        if not ready:
            self.kill()
            raise SandboxError("a script worker did not start")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def exchange(self, request: bytes, *, wall_seconds: float, max_reply: int) -> bytes:
        """Send one job line and read one answer line; TimeoutError, OverflowError or _Died otherwise."""
        deadline = time.monotonic() + wall_seconds
        pending = memoryview(request + b"\n")
        with selectors.DefaultSelector() as selector:
            selector.register(self._in, selectors.EVENT_WRITE)
            while pending:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError
                try:
                    pending = pending[os.write(self._in, pending):]
                except BrokenPipeError:
                    raise _Died from None
        self.jobs += 1
        return self._read_line(deadline, max_reply)

    def _read_line(self, deadline: float, max_reply: int) -> bytes:
        with selectors.DefaultSelector() as selector:
            selector.register(self._out, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                if len(self._buffer) > max_reply:
                    raise OverflowError
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError
                chunk = os.read(self._out, 1 << 16)
                if not chunk:
                    raise _Died
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def death(self) -> LimitExceeded | ScriptFailed:
        """Why the child ended: the CPU limit (SIGXCPU, or SIGKILL at the hard limit) or something else."""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.proc.returncode
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            return LimitExceeded("cpu_time")
        return ScriptFailed(f"SystemError: the script's worker process stopped (exit status {code})")

    def close(self) -> None:
        """Ask the worker to leave (EOF on stdin), then make sure it has."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()  # type: ignore[union-attr]
            except OSError:
                pass
        try:
            self.proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
        self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def abandon(self) -> None:
        """In a forked child of the server: drop the pipes without touching the parent's worker."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                os.close(stream.fileno())  # type: ignore[union-attr]
            except (OSError, ValueError):
                pass


def _identity(user: str) -> dict[str, Any]:
    """Popen's user/group arguments when the server runs as root and STROOM_SCRIPT_USER names an account."""
    if not user or os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(user) if not user.isdigit() else pwd.getpwuid(int(user))
    except KeyError:
        raise SandboxError(f"STROOM_SCRIPT_USER={user!r} is not an account on this machine") from None
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


class Pool:
    """At most `limits.workers` children; callers beyond that wait for one to come free."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._starting = 0
        self._closed = False
        self._lock = threading.Condition()

    def pids(self) -> list[int]:
        """The process ids of the live workers (tests count them)."""
        with self._lock:
            return sorted(w.pid for w in self._all)

    def run(self, job: dict[str, Any]) -> Any:
        """Run one job in a worker; the answer's result, or the SandboxError it stands for."""
        request = json.dumps(job, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
        worker = self._acquire()
        keep = False
        try:
            raw = worker.exchange(request, wall_seconds=self.limits.wall_seconds,
                                  max_reply=self.limits.output_bytes + 4096)
            answer = json.loads(raw)
            keep = answer.get("kind") != "limit" and worker.jobs < self.limits.jobs_per_worker
            return _result(answer)
        except TimeoutError:
            raise LimitExceeded("wall_time") from None
        except OverflowError:
            raise LimitExceeded("output") from None
        except _Died:
            raise worker.death() from None
        except (ValueError, RecursionError):
            raise ScriptFailed("SystemError: the script's worker did not answer in JSON") from None
        finally:
            self._release(worker, keep=keep)

    def _acquire(self) -> Worker:
        with self._lock:
            while True:
                if self._closed:
                    raise SandboxError("the script sandbox has been shut down")
                if self._idle:
                    return self._idle.pop()
                if len(self._all) + self._starting < self.limits.workers:
                    self._starting += 1
                    break
                self._lock.wait()
        try:
            worker = Worker(self.limits)
        finally:
            with self._lock:
                self._starting -= 1
                self._lock.notify()
        with self._lock:
            self._all.add(worker)
        return worker

    def _release(self, worker: Worker, *, keep: bool) -> None:
        if not keep:
            worker.kill()
        with self._lock:
            if keep and not self._closed:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
            self._lock.notify()
        if keep and self._closed:
            worker.close()

    def shutdown(self) -> None:
        """Stop every worker and wait for it (no orphans); later calls get SandboxError."""
        with self._lock:
            self._closed = True
            workers, self._idle = list(self._all), []
            self._all.clear()
            self._lock.notify_all()
        for worker in workers:
            worker.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def abandon(self) -> None:
        """In a forked child (one thread, locks in an unknown state): let go of the parent's workers."""
        for worker in list(self._all):
            worker.abandon()
        self._all, self._idle, self._closed = set(), [], True


def _result(answer: dict[str, Any]) -> Any:
    if answer.get("ok"):
        return answer.get("result")
    kind, message = answer.get("kind"), str(answer.get("message") or "")
    if kind == "refused":
        raise ScriptRefused(message)
    if kind == "limit":
        limit = answer.get("limit")
        raise LimitExceeded(limit if limit in LIMITS else "memory", message or None)
    raise ScriptFailed(message or "SystemError: the script failed")


_pool: Pool | None = None
_pool_lock = threading.Lock()


def get(limits: Limits | None = None) -> Pool:
    """The process's pool, started on first use (only when an environment has Python scripts on)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.closed:
            _hooks()
            _pool = Pool(limits or from_environ())
        return _pool


def configure(limits: Limits) -> Pool:
    """Replace the pool by one with these limits (tests, or settings read at start-up)."""
    shutdown()
    return get(limits)


def shutdown() -> None:
    """Stop the pool's workers; the next script starts a new pool."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown()


def _forget_in_child() -> None:
    global _pool, _pool_lock
    if _pool is not None:
        _pool.abandon()
    _pool, _pool_lock = None, threading.Lock()


_hooked: list[bool] = []


def _hooks() -> None:
    """Reap the workers at exit; a forked server process starts its own pool (once per process)."""
    if not _hooked:
        _hooked.append(True)
        atexit.register(shutdown)
        os.register_at_fork(after_in_child=_forget_in_child)
