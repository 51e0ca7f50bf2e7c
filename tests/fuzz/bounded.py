"""Run parsers on files, each in a forked child under a memory cap and an alarm; report JSON lines.

    python -m tests.fuzz.bounded [--cap-mb N] [--seconds S] TARGET=FILE ...

The imports happen once; each document then runs in its own fork with its peak-memory counter reset,
RLIMIT_AS at (current size + cap) so a runaway allocation becomes a MemoryError, and SIGALRM after S
seconds. One line per document: target, bytes, outcome ("ok", "refused: <code>", "crash: ...",
"killed: <signal>"), seconds, peak_rss_mb and grew_mb (peak minus the size at the start).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

from tests.fuzz.hostile import Target, targets


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _run(target: Target, path: Path, *, cap_mb: int, seconds: int) -> dict[str, object]:
    """In the forked child: reset the peak, cap memory and time, parse, report."""
    data = path.read_bytes()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS, so the peak is this document's
    start_kb = _status_kb("VmRSS")
    cap = _status_kb("VmSize") * 1024 + cap_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.alarm(seconds)
    started = time.perf_counter()
    try:
        target.call(data)
        outcome = "ok"
    except target.allowed as exc:
        outcome = f"refused: {getattr(exc, 'code', type(exc).__name__)}"
    except BaseException as exc:  # noqa: BLE001 - reporting any escape is the point
        outcome = f"crash: {type(exc).__name__}: {str(exc)[:200]}"
    elapsed = time.perf_counter() - started
    peak_kb = _status_kb("VmHWM")
    return {"target": target.name, "bytes": len(data), "outcome": outcome, "seconds": round(elapsed, 3),
            "peak_rss_mb": round(peak_kb / 1024, 1), "grew_mb": round((peak_kb - start_kb) / 1024, 1)}


def run_one(target: Target, path: Path, *, cap_mb: int, seconds: int) -> dict[str, object]:
    """Fork, run one document in the child, and collect its report (or how it died)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            report = _run(target, path, cap_mb=cap_mb, seconds=seconds)
        except BaseException as exc:  # noqa: BLE001 - never fall back into the parent's loop
            report = {"target": target.name, "outcome": f"crash: {type(exc).__name__}: {exc}"}
        os.write(write, json.dumps(report).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        raw = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return {"target": target.name, "bytes": path.stat().st_size, "outcome": f"killed: {name}"}
    return json.loads(raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cap-mb", type=int, default=1024)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("documents", nargs="+", help="TARGET=FILE")
    args = parser.parse_args(argv)
    known = targets()
    for item in args.documents:
        name, _, file = item.partition("=")
        report = run_one(known[name], Path(file), cap_mb=args.cap_mb, seconds=args.seconds)
        print(json.dumps({"document": Path(file).name, **report}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
