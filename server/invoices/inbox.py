"""The watched folder (STROOM_INBOX_DIR): each file is ingested, then moved to processed/ or failed/.

A refused file is kept in failed/ beside a `.reason.txt`; an accepted one goes to processed/.
Files are only picked up when they have not changed for a moment, so half-written files wait.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from server.auth import service as auth
from server.auth.actor import Actor
from server.host import Host
from server.invoices import service as ingestion

log = logging.getLogger(__name__)
SETTLE_SECONDS = 1.0


def _destination(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    counter = 1
    while target.exists():
        target = folder / f"{Path(name).stem}.{counter}{Path(name).suffix}"
        counter += 1
    return target


def scan_once(host: Host, inbox: Path, *, environment: str = auth.DEFAULT_ENVIRONMENT,
              settle_seconds: float = SETTLE_SECONDS) -> list[ingestion.IngestResult]:
    """Ingest every settled file in `inbox`; returns what happened to each."""
    with host.db.unit_of_work() as session:
        actor = Actor.system(auth.ensure_environment(session, environment).id, "inbox")
    results = []
    now = time.time()
    for path in sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")):
        if now - path.stat().st_mtime < settle_seconds:
            continue
        content = path.read_bytes()
        result = ingestion.ingest(host, actor=actor, content=content, filename=path.name, source="inbox")
        if result.status == "rejected":
            target = _destination(inbox / "failed", path.name)
            reasons = "\n".join(f"{r['rule']}: {r['message']}" for r in result.reasons)
            target.with_name(target.name + ".reason.txt").write_text(
                f"document {result.document_id} refused\n{reasons}\n", encoding="utf-8")
        else:
            target = _destination(inbox / "processed", path.name)
        path.rename(target)
        results.append(result)
    return results


def start_watcher(host: Host, inbox: Path, *, interval: float = 2.0) -> threading.Thread:
    """Scan the inbox in a daemon thread for the life of the process."""
    inbox.mkdir(parents=True, exist_ok=True)

    def loop() -> None:
        while True:
            try:
                scan_once(host, inbox)
            except Exception:  # keep watching; the failing file stays for the next pass
                log.exception("inbox scan failed")
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="stroom-inbox", daemon=True)
    thread.start()
    return thread
