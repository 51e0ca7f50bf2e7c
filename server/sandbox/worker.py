"""The worker process: limits itself, then runs one JSON job per line from stdin and answers on stdout.

Started by server.sandbox.pool as `python -I -B -c BOOT` with a minimal environment, no inherited file
descriptors beyond the two pipes, and an empty read-only working directory. The limits are set here,
in the child, before the first job is read: RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NOFILE,
RLIMIT_NPROC and RLIMIT_CORE. A job that breaks the memory limit is answered, and then the worker
exits so that the parent replaces it; the CPU limit kills the process by SIGXCPU (SIGKILL at the hard
limit), which the parent reports.
"""
from __future__ import annotations

import json
import os
import resource
import sys
from typing import Any, BinaryIO

from server.sandbox import restricted
from server.sandbox.errors import ScriptRefused
from server.sandbox.values import to_json

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _limit(which: int, value: int) -> None:
    try:
        resource.setrlimit(which, (value, value))
    except (ValueError, OSError):  # e.g. RLIMIT_NPROC where the platform refuses it; the others hold
        pass


def set_limits(*, cpu_seconds: int, memory_bytes: int, jobs: int) -> None:
    """The child's own rlimits. The hard CPU limit covers every job this worker may run (it is retired
    after `jobs`); each job gets its own soft limit (`job_cpu_budget`), past which SIGXCPU kills it."""
    hard_cpu = (cpu_seconds + 1) * jobs + 5
    resource.setrlimit(resource.RLIMIT_CPU, (_cpu_used() + cpu_seconds, hard_cpu))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, 0)
    _limit(resource.RLIMIT_NOFILE, _highest_fd() + 1)
    _limit(resource.RLIMIT_NPROC, 0)


def _cpu_used() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return int(usage.ru_utime + usage.ru_stime + 0.999)


def job_cpu_budget(cpu_seconds: int) -> None:
    """The soft CPU limit for the next job: what this process used so far plus the job's seconds."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (min(_cpu_used() + cpu_seconds, hard), hard))


def _highest_fd() -> int:
    """The highest open descriptor (2 when only the standard three are open); fstat opens nothing."""
    highest = 2
    for fd in range(3, 256):
        try:
            os.fstat(fd)
        except OSError:
            continue
        highest = fd
    return highest


def _line(exc: BaseException) -> str:
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == restricted.FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" (line {line})" if line else ""


def _failure(exc: BaseException) -> dict[str, Any]:
    text = str(exc)
    message = f"{type(exc).__name__}: {text[:500]}" if text else type(exc).__name__
    return {"ok": False, "kind": "failed", "message": message + _line(exc)}


def run(job: dict[str, Any]) -> dict[str, Any]:
    """One job: {"mode": "exec"|"eval", "source": ..., "data": {...}} -> {"ok": true, "result": ...}."""
    mode, data = job["mode"], job["data"]
    try:
        code = restricted.check(job["source"], mode=mode)
    except ScriptRefused as exc:
        return {"ok": False, "kind": "refused", "message": str(exc)}
    names = restricted.scope(data)
    try:
        if mode == "eval":
            return {"ok": True, "result": to_json(eval(code, names), "the result")}
        exec(code, names)  # noqa: S102 - RestrictedPython code, guarded globals, in this limited process
        # names a script cannot spell ("_x") pass through untouched; the rest is what the script left
        result = {key: value for key, value in data.items() if key.startswith("_")}
        result.update((key, to_json(value, key)) for key, value in names.items() if _is_data(key, value))
        return {"ok": True, "result": result}
    except MemoryError:
        return {"ok": False, "kind": "limit", "limit": "memory",
                "message": "the script exceeded its memory limit"}
    except BaseException as exc:  # noqa: BLE001 - the script's own exception, whatever it is, is the script's failure
        return _failure(exc)


def _is_data(key: str, value: Any) -> bool:
    """Script variables that become process data: not guards, not _private, not functions or modules."""
    return not (key in restricted.GUARD_NAMES or key.startswith("_") or callable(value)
                or type(value).__name__ == "module")


def serve(stdin: BinaryIO, stdout: BinaryIO, *, cpu_seconds: int, max_output: int) -> None:
    """Answer jobs until stdin closes (the server has gone) or a job broke the memory limit."""
    stdout.write(b"ready\n")
    stdout.flush()
    for raw in stdin:
        job_cpu_budget(cpu_seconds)
        try:
            answer = run(json.loads(raw))
            text = _ENCODER.encode(answer).encode()
        except MemoryError:
            answer = {"ok": False, "kind": "limit", "limit": "memory"}
            text = json.dumps(answer).encode()
        if len(text) > max_output:
            answer = {"ok": False, "kind": "limit", "limit": "output",
                      "message": f"the script's result is over {max_output} bytes as JSON"}
            text = json.dumps(answer).encode()
        stdout.write(text + b"\n")
        stdout.flush()
        if answer.get("kind") == "limit":
            return


def main(argv: list[str]) -> None:
    """Entry point of the child: argv is [cpu_seconds, memory_bytes, max_output, jobs]."""
    cpu_seconds, memory_bytes, max_output, jobs = (int(a) for a in argv)
    set_limits(cpu_seconds=cpu_seconds, memory_bytes=memory_bytes, jobs=jobs)
    serve(sys.stdin.buffer, sys.stdout.buffer, cpu_seconds=cpu_seconds, max_output=max_output)


if __name__ == "__main__":
    main(sys.argv[1:])
