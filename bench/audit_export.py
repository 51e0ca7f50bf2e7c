"""Export a million audit rows over HTTP from a real server process; print rows/s and its memory growth.

    .venv/bin/python bench/audit_export.py [--rows 1000000] [--database-url URL]

Rows are bulk-inserted (correctly chained, so `verify` is timed too), a werkzeug server runs the app
in a subprocess, and the export is downloaded as JSON lines and as CSV while the server's resident
memory is sampled from /proc. The target is a growth under 100 MB. JSON goes to bench/results/.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from sqlalchemy import insert

from server.audit import service as audit
from server.audit.models import AuditChainHead, AuditEvent
from server.audit.verify import verify
from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.db import Database, utcnow
from server.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]
AUDIT_KEY = "bench-audit-key-" + "0" * 32


SERVER = """
from server.app import create_app
from werkzeug.serving import run_simple
run_simple("127.0.0.1", {port}, create_app(), threaded=True)
"""


def prepare(db: Database, rows: int) -> tuple[int, str, float]:
    """Migrate, create an auditor with a token, bulk-insert `rows` chained entries; returns env, token, seconds."""
    upgrade(db.engine)
    audit.install(db.sessions, AUDIT_KEY.encode())
    with db.sessions() as session, session.begin():
        env = auth.ensure_environment(session, "bench")
        user = auth.create_user(session, env.id, "auditor", actor=Actor.system(env.id), roles=("auditor",))
        _, plain = tokens.create_token(session, user, actor=Actor.system(env.id))
        env_id = env.id
    started = time.perf_counter()
    with db.sessions() as session, session.begin():
        head = session.get(AuditChainHead, env_id, with_for_update=True)
        seq, prev = head.seq, head.hash
        batch: list[dict] = []
        for n in range(rows):
            seq += 1
            row = {"environment_id": env_id, "seq": seq, "at": utcnow(), "actor_type": "user",
                   "actor": f"user{n % 50}", "action": ("task.completed", "engine.decision", "mail.sent")[n % 3],
                   "target_type": "task", "target_id": str(n), "instance_id": n // 20,
                   "before": {"status": "open"}, "after": {"status": "completed", "amount": f"{n % 9999}.50"},
                   "note": None, "prev_hash": prev}
            row["hash"] = prev = audit.entry_hash(prev, row, AUDIT_KEY.encode())
            batch.append(row)
            if len(batch) == 20_000:
                session.execute(insert(AuditEvent), batch)
                batch = []
        if batch:
            session.execute(insert(AuditEvent), batch)
        head.seq, head.hash = seq, prev
    return env_id, plain, time.perf_counter() - started


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(database_url: str, folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "STROOM_DATABASE_URL": database_url, "STROOM_INSTANCE_DIR": str(folder / "instance"),
           "STROOM_SECRET_KEY": "bench", "STROOM_AUDIT_KEY": AUDIT_KEY, "STROOM_EMBEDDED_WORKER": "false",
           "STROOM_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(port=port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the server did not start")


def download(base: str, token: str, fmt: str, pid: int) -> dict:
    """Stream one export, sampling the server's RSS; returns rows, seconds, peak growth in MB."""
    request = urllib.request.Request(f"{base}/api/v1/audit/export?format={fmt}",
                                     headers={"Authorization": f"Bearer {token}"})
    baseline, peak, done = rss_kib(pid), [rss_kib(pid)], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started, lines, size = time.perf_counter(), 0, 0
    with urllib.request.urlopen(request, timeout=600) as response:
        while chunk := response.read(1 << 16):
            lines += chunk.count(b"\n")
            size += len(chunk)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    rows = lines - (1 if fmt == "csv" else 0)
    return {"format": fmt, "rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "mb": round(size / 1e6, 1), "rss_baseline_mb": round(baseline / 1024, 1),
            "rss_peak_mb": round(peak[0] / 1024, 1), "rss_growth_mb": round((peak[0] - baseline) / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        db = Database(url)
        env_id, token, insert_s = prepare(db, args.rows)
        print(f"inserted {args.rows:,} chained rows in {insert_s:.1f}s ({args.rows / insert_s:,.0f} rows/s)")
        started = time.perf_counter()
        with db.sessions() as session:
            result = verify(session, env_id, key=AUDIT_KEY.encode())
        verify_s = time.perf_counter() - started
        print(f"verify: ok={result.ok} checked={result.checked:,} in {verify_s:.1f}s "
              f"({result.checked / verify_s:,.0f} rows/s)")
        db.dispose()
        proc, base = start_server(url, folder)
        try:
            urllib.request.urlopen(urllib.request.Request(f"{base}/api/v1/audit?limit=5",
                                   headers={"Authorization": f"Bearer {token}"})).read()  # warm up
            exports = [download(base, token, fmt, proc.pid) for fmt in ("jsonl", "csv")]
        finally:
            proc.terminate()
            proc.wait(10)
    for e in exports:
        verdict = "OK" if e["rss_growth_mb"] < 100 else "OVER TARGET"
        print(f"export {e['format']:5}: {e['rows']:,} rows, {e['mb']} MB in {e['seconds']}s = {e['rows_per_s']:,} "
              f"rows/s; server RSS {e['rss_baseline_mb']} -> {e['rss_peak_mb']} MB "
              f"(growth {e['rss_growth_mb']} MB, target < 100 MB: {verdict})")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    report = {"rows": args.rows, "backend": url.split(":")[0], "insert_seconds": round(insert_s, 1),
              "verify_seconds": round(verify_s, 1), "verify_ok": result.ok, "exports": exports}
    (out / "audit_export.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {out / 'audit_export.json'}")


if __name__ == "__main__":
    main()
