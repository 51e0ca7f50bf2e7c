"""The watched inbox reads only regular files directly in the folder; anything else goes to failed/.

The attack: whoever may drop files into STROOM_INBOX_DIR plants a symbolic (or hard) link to
instance/secret_key, and the scan stores the key as a document anyone with invoices.read can download.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from server.host import open_host
from server.invoices.inbox import NotADocument, read_document, scan_once
from server.invoices.models import ReceivedDocument
from tests.support.factories import deploy_files, make_user
from tests.support.paths import CORPUS, REPO

MODELS = REPO / "tests" / "data" / "bpmn" / "ingestion"
SECRET = "the-signing-key-of-this-server-0123456789"


@pytest.fixture
def inbox(host, tmp_path: Path) -> Path:
    actor, _ = make_user(host, "designer", roles=("designer",))
    deploy_files(host, actor, "conversion_task", MODELS / "conversion_task.bpmn")
    host.settings.instance_dir.mkdir(parents=True, exist_ok=True)
    (host.settings.instance_dir / "secret_key").write_text(SECRET)
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def _stored(host) -> list[bytes]:
    with host.db.unit_of_work() as session:
        return list(session.scalars(select(ReceivedDocument.content)))


def _scan(host, inbox: Path) -> list:
    """scan_once in a thread, so that a scan blocked on a FIFO fails the test instead of hanging it."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(scan_once(host, inbox, settle_seconds=0)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    if worker.is_alive():
        os.open(inbox / "pipe", os.O_WRONLY | os.O_NONBLOCK)  # let the blocked reader go before failing
        pytest.fail("the inbox scan blocked on a FIFO")
    return out[0]


def test_a_symlink_to_the_secret_key_never_becomes_a_document(host, inbox):
    (inbox / "invoice.xml").symlink_to(host.settings.instance_dir / "secret_key")
    results = _scan(host, inbox)
    assert not any(SECRET.encode() in content for content in _stored(host))
    assert [(r.filename, r.status) for r in results] == [("invoice.xml", "set_aside")]
    moved = inbox / "failed" / "invoice.xml"
    assert moved.is_symlink() and not (inbox / "invoice.xml").exists()
    assert "symbolic link" in (inbox / "failed" / "invoice.xml.reason.txt").read_text()
    assert (host.settings.instance_dir / "secret_key").read_text() == SECRET  # the target is untouched


def test_a_hard_link_to_the_secret_key_never_becomes_a_document(host, inbox):
    os.link(host.settings.instance_dir / "secret_key", inbox / "invoice.xml")
    results = _scan(host, inbox)
    assert not any(SECRET.encode() in content for content in _stored(host))
    assert results[0].status == "set_aside" and "hard links" in results[0].reason


def test_a_fifo_a_folder_and_a_device_are_set_aside_without_blocking_the_scan(host, inbox):
    os.mkfifo(inbox / "pipe")
    (inbox / "sub").mkdir()
    (inbox / "sub" / "inner.xml").write_bytes((CORPUS / "ubl" / "valid" / "base-example.xml").read_bytes())
    if os.geteuid() == 0:
        os.mknod(inbox / "null", 0o600 | 0o020000, os.makedev(1, 3))  # a character device, as /dev/null
    results = _scan(host, inbox)
    reasons = {r.filename: r.reason for r in results}
    assert "FIFO" in reasons["pipe"] and "folder" in reasons["sub"]
    if os.geteuid() == 0:
        assert "character device" in reasons["null"]
    assert _stored(host) == []  # nothing inside a subfolder is read either
    assert sorted(p.name for p in (inbox / "failed").iterdir() if not p.name.endswith(".reason.txt")) == \
        sorted(reasons)
    assert sorted(n for n in os.listdir(inbox) if not n.startswith(".")) == ["failed"]


def test_a_regular_file_beside_them_is_still_ingested(host, inbox):
    (inbox / "link.xml").symlink_to(host.settings.instance_dir / "secret_key")
    shutil.copy(CORPUS / "ubl" / "valid" / "base-example.xml", inbox / "good.xml")
    (inbox / "bad.xml").write_bytes(b"not xml")
    results = _scan(host, inbox)
    assert sorted((getattr(r, "filename", None), r.status) for r in results if r.status == "set_aside") == \
        [("link.xml", "set_aside")]
    assert len(_stored(host)) == 2
    assert (inbox / "failed" / "bad.xml").exists() and (inbox / "failed" / "link.xml").is_symlink()


def test_a_file_the_server_cannot_read_is_refused_with_the_reason():
    """Read by an unprivileged user (root reads any file): the reader names the error instead of failing."""
    folder = Path(tempfile.mkdtemp(prefix="stroom-inbox-"))
    try:
        os.chmod(folder, 0o755)
        unreadable = folder / "invoice.xml"
        unreadable.write_bytes(b"<Invoice/>")
        os.chmod(unreadable, 0o000)
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the forked child
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)
                read_document(unreadable, max_bytes=1000)
                answer = "read"
            except NotADocument as exc:
                answer = f"refused: {exc}"
            except BaseException as exc:
                answer = f"error: {exc!r}"
            os.write(write_end, answer.encode())
            os._exit(0)
        os.close(write_end)
        os.waitpid(child, 0)
        with os.fdopen(read_end, "rb") as pipe:
            assert pipe.read().decode() == "refused: cannot be read: Permission denied"
    finally:
        shutil.rmtree(folder)


def test_a_file_above_the_document_limit_is_set_aside_unread(host, inbox):
    small = open_host(host.settings.replace(max_document_bytes=1024))
    try:
        (inbox / "big.xml").write_bytes(b"<x>" + b" " * 2048 + b"</x>")
        results = scan_once(small, inbox, settle_seconds=0)
    finally:
        small.db.dispose()
    assert results[0].status == "set_aside" and "STROOM_MAX_DOCUMENT_BYTES" in results[0].reason
    assert _stored(host) == [] and (inbox / "failed" / "big.xml").exists()


def test_two_scans_at_once_move_each_file_once_and_store_it_once(host, inbox):
    for n in range(6):
        (inbox / f"bad-{n}.xml").write_bytes(b"not xml %d" % n)
    (inbox / "link.xml").symlink_to(host.settings.instance_dir / "secret_key")
    outcomes: list = []
    errors: list = []

    def scan() -> None:
        try:
            outcomes.extend(scan_once(host, inbox, settle_seconds=0))
        except Exception as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    workers = [threading.Thread(target=scan) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert errors == []
    assert sorted(n for n in os.listdir(inbox) if not n.startswith(".")) == ["failed"]
    moved = sorted(p.name for p in (inbox / "failed").iterdir())
    assert moved == sorted([f"bad-{n}.xml" for n in range(6)] + [f"bad-{n}.xml.reason.txt" for n in range(6)]
                           + ["link.xml", "link.xml.reason.txt"])
    assert len(_stored(host)) == 6
