"""How `stroom run` and `stroom worker` end: SIGTERM or SIGINT stops the process and every child it started.

Without this a SIGTERM killed `stroom run` outright: the validator processes (~250 MB each) and
sandbox workers it had started lived on, orphaned. Now the signal unwinds the main thread, the pools
are shut down in order, and a child that still runs is terminated (then killed) before we exit.
"""
from __future__ import annotations

import os
import signal
import time
from multiprocessing import resource_tracker
from pathlib import Path

from server.invoices import validation_pool
from server.sandbox import pool as sandbox_pool

SIGNALS = (signal.SIGTERM, signal.SIGINT)


def exit_on_signals() -> None:
    """SIGTERM and SIGINT raise SystemExit in the main thread, so `finally` blocks and atexit run."""
    def _exit(signum: int, _frame: object) -> None:
        for sig in SIGNALS:  # a second signal while shutting down must not interrupt the shutdown
            signal.signal(sig, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    for sig in SIGNALS:
        signal.signal(sig, _exit)


def end_children(*, grace: float = 5.0) -> None:
    """Stop the validator and sandbox pools, then any other child still running (TERM, then KILL)."""
    validation_pool.shutdown_default()
    sandbox_pool.shutdown()
    # The resource tracker ignores SIGTERM by design; it exits by itself when this process does.
    tracker = getattr(resource_tracker._resource_tracker, "_pid", None)  # no public way to ask
    left = [pid for pid in descendants(os.getpid()) if pid != tracker]
    _signal_all(left, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [pid for pid in left if _alive(pid)]
    _signal_all(left, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children ...), read from /proc."""
    parents: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue  # ended while we looked
        ppid = next((int(line.split()[1]) for line in text.splitlines() if line.startswith("PPid:")), 0)
        parents.setdefault(ppid, []).append(int(status.parent.name))
    found, todo = [], list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(parents.get(child, []))
    return found


def _signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)  # reap our own child so it does not linger as a zombie
        if waited == pid:
            return False
    except ChildProcessError:
        pass  # not our direct child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
