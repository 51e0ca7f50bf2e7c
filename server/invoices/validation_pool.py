"""Validation off the request threads: a small pool of worker processes, each with its own Saxon.

Why processes: saxonche holds the GIL for the whole transform (~5 ms per invoice with CEN + Peppol,
more for big documents), and its compiled stylesheets are not thread-safe. Run in a Flask request
thread, every other thread of that web process would stall meanwhile. A thread pool would not help
(same GIL); a `ProcessPoolExecutor` does: the request thread only pickles bytes and waits on a future
(releasing the GIL), and each worker compiles the rulesets once (~1 s, ~200 MB RSS) and is warmed up
with a realistic invoice before its first job, because Saxon's first real transform is slow.

Workers are started with the "spawn" method: forking a process that already runs threads (Flask) or
an initialised Saxon isolate is unsafe. The pool is created lazily on first use; a crashed worker
breaks the executor, which is then replaced on the next call.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from server.invoices.safexml import DEFAULT_MAX_BYTES
from server.invoices.validation import ValidationReport, validate

DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))


def _worker_start() -> None:
    """Initializer of each worker process: compile and warm up before the first job arrives."""
    from server.invoices.warmup import warm_up

    warm_up()


def _worker_ready() -> int:
    return os.getpid()


class ValidatorPool:
    """Runs `validation.validate` in worker processes; safe to share between threads."""

    def __init__(self, *, workers: int = DEFAULT_WORKERS, warm: bool = True):
        if workers < 1:
            raise ValueError("a validator pool needs at least one worker")
        self.workers = workers
        self.warm = warm
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def _get_executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_worker_start if self.warm else None,
                )
            return self._executor

    def start(self) -> list[int]:
        """Start every worker now and wait until each is warm; returns their process ids."""
        executor = self._get_executor()
        futures = [executor.submit(_worker_ready) for _ in range(self.workers)]
        return sorted({f.result() for f in futures})

    def submit(
        self, xml: bytes, *, mode: str = "enforce", max_bytes: int = DEFAULT_MAX_BYTES
    ) -> Future[ValidationReport]:
        """Queue a document; the future yields the ValidationReport."""
        return self._get_executor().submit(validate, xml, mode=mode, max_bytes=max_bytes)

    def validate(
        self,
        xml: bytes,
        *,
        mode: str = "enforce",
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float | None = None,
    ) -> ValidationReport:
        """Validate in a worker and wait for the report (the calling thread releases the GIL)."""
        if mode == "off":
            return validate(xml, mode=mode, max_bytes=max_bytes)  # no Saxon involved: cheap enough here
        try:
            return self.submit(xml, mode=mode, max_bytes=max_bytes).result(timeout=timeout)
        except BrokenProcessPool:
            self._discard()
            raise

    def _discard(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the workers (a later call starts a fresh pool)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


_DEFAULT: ValidatorPool | None = None
_DEFAULT_LOCK = threading.Lock()


def default_pool(*, workers: int | None = None) -> ValidatorPool:
    """The process-wide pool `validate_in_worker` uses; `workers` only counts when it is first created."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = ValidatorPool(workers=workers or DEFAULT_WORKERS)
        return _DEFAULT


def validate_in_worker(
    xml: bytes, *, mode: str = "enforce", max_bytes: int = DEFAULT_MAX_BYTES, timeout: float | None = None
) -> ValidationReport:
    """`validation.validate` run in the default worker pool: what request handlers should call."""
    return default_pool().validate(xml, mode=mode, max_bytes=max_bytes, timeout=timeout)


def shutdown_default() -> None:
    """Stop the default pool's workers, if it was ever started (a later call starts a fresh one)."""
    with _DEFAULT_LOCK:
        pool = _DEFAULT
    if pool is not None:
        pool.shutdown()
