"""The watched folder (STROOM_INBOX_DIR): each file is ingested, then moved to processed/ or failed/.

A refused file is kept in failed/ beside a `.reason.txt`; an accepted one goes to processed/.
Files are only picked up when they have not changed for a moment, so half-written files wait.

Only regular files directly in the folder are read. Anyone who can write into the folder could
otherwise plant a symbolic or hard link to a server file (the secret key) and read it back as a
document, or a FIFO that blocks the scan for ever: such entries are opened never, or only with
O_NOFOLLOW | O_NONBLOCK and checked again on the open descriptor, and are moved to failed/ with a reason.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import logging
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from server.auth import service as auth
from server.auth.actor import Actor
from server.host import Host
from server.invoices import service as ingestion

log = logging.getLogger(__name__)
SETTLE_SECONDS = 1.0
OWN_FOLDERS = ("processed", "failed")
LOCK_NAME = ".stroom-scan.lock"
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


def _claim(folder: Path, name: str, reason: str | None = None) -> Path:
    """A free name in `folder` for `name`, claimed by creating its reason file (or an empty marker) with
    O_EXCL: two scans at once never pick the same one."""
    counter = 0
    while True:
        target = folder / (name if counter == 0 else f"{Path(name).stem}.{counter}{Path(name).suffix}")
        counter += 1
        if os.path.lexists(target):
            continue
        try:
            fd = os.open(f"{target}.reason.txt", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(reason or "")
        return target


def _move(path: Path, folder: Path, reason: str | None) -> bool:
    """Move an inbox entry into `folder` (the entry itself: a link stays a link, never its target);
    False when another scan took it first."""
    target = _claim(folder, path.name, reason)
    try:
        os.rename(path, target)
    except FileNotFoundError:
        os.unlink(f"{target}.reason.txt")
        return False
    if reason is None:
        os.unlink(f"{target}.reason.txt")
    return True


def _set_aside(inbox: Path, path: Path, reason: str) -> SetAside | None:
    if not _move(path, _own_folder(inbox, "failed"), f"not read as a document: {reason}\n"):
        return None
    log.warning("inbox: %s set aside in failed/: %s", path.name, reason)
    return SetAside(path.name, reason)


def _settled(path: Path, now: float, settle_seconds: float) -> bool:
    info = os.lstat(path)
    # ctime too: linking a file in (or out) changes it, writing changes both.
    return now - max(info.st_mtime, info.st_ctime) >= settle_seconds


@contextlib.contextmanager
def _scan_lock(inbox: Path) -> Iterator[bool]:
    """One scan of a folder at a time, across processes (the watcher and `stroom inbox scan`): a second
    scan would see a file the first is still processing and could file it under the wrong folder."""
    fd = os.open(inbox / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o640)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


class Submit(Protocol):
    """The submit verb the edge hands in (operations.documents.submit_content): this package sits below it."""

    def __call__(self, host: Host, *, actor: Actor, content: bytes, filename: str | None = None,
                 source: str = "api") -> ingestion.IngestResult: ...


def scan_once(host: Host, inbox: Path, *, environment: str = auth.DEFAULT_ENVIRONMENT,
              settle_seconds: float = SETTLE_SECONDS, submit: Submit = ingestion.ingest
              ) -> list[ingestion.IngestResult | SetAside]:
    """Submit every settled regular file in `inbox`; anything else is set aside. Returns what happened
    (nothing while another scan of the folder runs)."""
    with _scan_lock(inbox) as mine:
        return _scan(host, inbox, environment=environment, settle_seconds=settle_seconds,
                     submit=submit) if mine else []


def _scan(host: Host, inbox: Path, *, environment: str, settle_seconds: float, submit: Submit
          ) -> list[ingestion.IngestResult | SetAside]:
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
            aside = _set_aside(inbox, path, str(exc))
            results += [aside] if aside is not None else []
            continue
        result = submit(host, actor=actor, content=content, filename=path.name, source="inbox")
        if result.status == "rejected":
            reasons = "\n".join(f"{r['rule']}: {r['message']}" for r in result.reasons)
            moved = _move(path, _own_folder(inbox, "failed"), f"document {result.document_id} refused\n{reasons}\n")
        else:
            moved = _move(path, _own_folder(inbox, "processed"), None)
        if moved:  # else a concurrent scan moved it (the same bytes are one document either way)
            results.append(result)
    return results


def start_watcher(host: Host, inbox: Path, *, interval: float = 2.0,
                  submit: Submit = ingestion.ingest) -> threading.Thread:
    """Scan the inbox in a daemon thread for the life of the process, submitting each file with `submit`."""
    inbox.mkdir(parents=True, exist_ok=True)

    def loop() -> None:
        while True:
            try:
                scan_once(host, inbox, submit=submit)
            except Exception:  # keep watching; the failing file stays for the next pass
                log.exception("inbox scan failed")
            time.sleep(interval)

    thread = threading.Thread(target=loop, name="stroom-inbox", daemon=True)
    thread.start()
    return thread
