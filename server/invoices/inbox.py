"""The watched folder (STROOM_INBOX_DIR): each file is ingested, then moved to processed/ or failed/.

A refused file is kept in failed/ beside a `.reason.txt`; an accepted one goes to processed/.
Files are only picked up when they have not changed for a moment, so half-written files wait.

Only regular files directly in the folder are read. Anyone who can write into the folder could
otherwise plant a symbolic or hard link to a server file (the secret key) and read it back as a
document, or a FIFO that blocks the scan for ever: such entries are opened never, or only with
O_NOFOLLOW | O_NONBLOCK and checked again on the open descriptor, and are moved to failed/ with a reason.
"""
from __future__ import annotations

import dataclasses
import errno
import logging
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

from server.auth import service as auth
from server.auth.actor import Actor
from server.host import Host
from server.invoices import service as ingestion

log = logging.getLogger(__name__)
SETTLE_SECONDS = 1.0
OWN_FOLDERS = ("processed", "failed")
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


@dataclasses.dataclass(frozen=True)
class SetAside:
    """An inbox entry that was not read as a document: moved to failed/ with `reason`."""

    filename: str
    reason: str
    status: str = "set_aside"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class NotADocument(Exception):
    """The entry is not a regular file this scan may read (the message says why)."""


def _kind(mode: int) -> str | None:
    """What a non-regular entry is ('a FIFO', ...), None for a regular file."""
    return next((name for test, name in _KINDS if test(mode)), None if stat.S_ISREG(mode) else "not a regular file")


def _check(info: os.stat_result) -> None:
    kind = _kind(info.st_mode)
    if kind is not None:
        raise NotADocument(f"{kind}, not a regular file")
    if info.st_nlink > 1:
        raise NotADocument(f"a regular file with {info.st_nlink} hard links (it may be another file's contents)")


def read_document(path: Path, *, max_bytes: int) -> bytes:
    """The bytes of a regular file, read through a descriptor that cannot follow a link or block.

    NotADocument for a link, folder, FIFO, device, socket, hard-linked, unreadable or too large file.
    """
    _check(os.lstat(path))
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a link after the lstat above
            raise NotADocument("a symbolic link, not a regular file") from None
        raise NotADocument(f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        _check(info)  # what was opened, not what the name pointed at a moment ago
        if info.st_size > max_bytes:
            raise NotADocument(f"{info.st_size} bytes, more than STROOM_MAX_DOCUMENT_BYTES ({max_bytes})")
        os.set_blocking(fd, True)
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise NotADocument(f"more than STROOM_MAX_DOCUMENT_BYTES ({max_bytes}) bytes")
        return b"".join(chunks)
    except OSError as exc:
        raise NotADocument(f"cannot be read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _own_folder(inbox: Path, name: str) -> Path:
    """processed/ or failed/, created as a real folder; a link planted in its place stops the scan."""
    folder = inbox / name
    try:
        os.mkdir(folder, 0o750)
    except FileExistsError:
        pass
    if not stat.S_ISDIR(os.lstat(folder).st_mode):
        raise RuntimeError(f"{folder} is not a folder (a link?): the inbox is not scanned")
    return folder


def _destination(folder: Path, name: str) -> Path:
    target = folder / name
    counter = 1
    while os.path.lexists(target) or os.path.lexists(f"{target}.reason.txt"):
        target = folder / f"{Path(name).stem}.{counter}{Path(name).suffix}"
        counter += 1
    return target


def _write_reason(target: Path, text: str) -> None:
    fd = os.open(f"{target}.reason.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _set_aside(inbox: Path, path: Path, reason: str) -> SetAside:
    target = _destination(_own_folder(inbox, "failed"), path.name)
    _write_reason(target, f"not read as a document: {reason}\n")
    os.rename(path, target)  # renames the entry itself: a link stays a link, never its target
    log.warning("inbox: %s set aside in failed/: %s", path.name, reason)
    return SetAside(path.name, reason)


def _settled(path: Path, now: float, settle_seconds: float) -> bool:
    info = os.lstat(path)
    # ctime too: linking a file in (or out) changes it, writing changes both.
    return now - max(info.st_mtime, info.st_ctime) >= settle_seconds


def scan_once(host: Host, inbox: Path, *, environment: str = auth.DEFAULT_ENVIRONMENT,
              settle_seconds: float = SETTLE_SECONDS) -> list[ingestion.IngestResult | SetAside]:
    """Ingest every settled regular file in `inbox`; anything else is set aside. Returns what happened."""
    with host.db.unit_of_work() as session:
        actor = Actor.system(auth.ensure_environment(session, environment).id, "inbox")
    results: list[ingestion.IngestResult | SetAside] = []
    now = time.time()
    names = sorted(n for n in os.listdir(inbox) if not n.startswith(".") and n not in OWN_FOLDERS)
    for path in (inbox / name for name in names):
        try:
            if not _settled(path, now, settle_seconds):
                continue
            content = read_document(path, max_bytes=host.settings.max_document_bytes)
        except FileNotFoundError:
            continue  # taken away while we looked
        except NotADocument as exc:
            results.append(_set_aside(inbox, path, str(exc)))
            continue
        result = ingestion.ingest(host, actor=actor, content=content, filename=path.name, source="inbox")
        if result.status == "rejected":
            target = _destination(_own_folder(inbox, "failed"), path.name)
            reasons = "\n".join(f"{r['rule']}: {r['message']}" for r in result.reasons)
            _write_reason(target, f"document {result.document_id} refused\n{reasons}\n")
        else:
            target = _destination(_own_folder(inbox, "processed"), path.name)
        os.rename(path, target)
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
