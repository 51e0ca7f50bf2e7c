"""The outbox folder's disk is full: the mail job fails visibly, retries, and delivers once there is room."""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from server.host import open_host
from server.jobs.models import Job
from server.jobs.worker import Worker
from server.mail.service import queue_mail
from tests.conftest import make_settings
from tests.faults.support import assert_consistent, job_states
from tests.integration.jobs.support import FakeClock, drain, seed_people


@pytest.fixture
def full_outbox(tmp_path: Path) -> Iterator[tuple[Path, object]]:
    """A 64 KB tmpfs filled to the last byte (root may mount); else an outbox path that is a file."""
    folder = tmp_path / "outbox"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             check=False, capture_output=True).returncode == 0
    filler = folder / "filler"
    if mounted:
        try:
            with open(filler, "wb") as fh:
                while True:
                    fh.write(b"\0" * 4096)
                    fh.flush()
        except OSError:  # ENOSPC: the disk is full, as intended
            pass
    else:
        folder.rmdir()
        folder.write_bytes(b"not a folder")  # writing into it fails like a full or broken disk

    def make_room() -> None:
        if mounted:
            filler.unlink()
        else:
            folder.unlink()
            folder.mkdir()

    try:
        yield folder, make_room
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def test_mail_into_a_full_outbox_fails_visibly_retries_and_is_written_once_there_is_room(
        tmp_path, database_url, full_outbox):
    folder, make_room = full_outbox
    host = open_host(make_settings(tmp_path, database_url, outbox_dir=folder))
    try:
        system = seed_people(host)
        with host.db.unit_of_work() as session:
            for n in range(3):
                queue_mail(session, template="test", to=[f"user{n}@example.com"], language="en", context={},
                           environment_id=system.environment_id)
        clock = FakeClock()
        worker = Worker(host, clock=clock)
        assert worker.run_once() == 3
        assert job_states(host, "mail") == [("pending", 1)] * 3  # failed, to be retried
        with host.db.unit_of_work() as session:
            errors = [j.last_error for j in session.scalars(select(Job).where(Job.kind == "mail"))]
        assert all(e and ("No space left" in e or "Errno" in e) for e in errors), errors
        assert not list(folder.glob("*.eml")) if folder.is_dir() else True
        make_room()
        clock.advance(minutes=5)
        assert drain(worker) == 3
        assert job_states(host, "mail") == [("done", 2)] * 3
        assert len(list(folder.glob("*.eml"))) == 3 and not list(folder.glob(".*.tmp"))
        assert_consistent(host)
    finally:
        host.db.dispose()
