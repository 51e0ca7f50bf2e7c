"""SMTP down for a while: task mail is delivered after. A worker killed with SIGKILL inside an SMTP
delivery: another worker delivers the mail once after the lease. The chain verifies after each."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from server.host import open_host
from server.instances import service as instances
from server.jobs.worker import Worker
from server.mail.service import queue_mail
from tests.conftest import make_settings
from tests.faults.support import assert_consistent, job_states
from tests.integration.jobs.support import FakeClock, deploy, drain, seed_people
from tests.integration.mail.conftest import Inbox, SmtpServer
from tests.support.paths import REPO


def test_task_mail_waits_out_an_smtp_outage_and_arrives_once(tmp_path, database_url):
    server = SmtpServer()  # down: its port refuses connections
    host = open_host(make_settings(tmp_path, database_url, smtp_url=f"smtp://127.0.0.1:{server.port}"))
    try:
        system = seed_people(host)
        deploy(host, system, "approval_reminder")
        with host.db.unit_of_work() as session:
            instances.start(session, host, actor=system, key="approval_reminder", data={"invoice_number": "F-1"})
        clock = FakeClock()
        worker = Worker(host, clock=clock)
        for minutes in (0, 1, 3):  # three attempts during the outage
            clock.advance(minutes=minutes)
            worker.run_once()
        waiting = job_states(host, "mail")
        assert waiting and all(status == "pending" and attempts >= 2 for status, attempts in waiting), waiting
        server.start()
        clock.advance(minutes=30)
        drain(worker)
        assert {status for status, _ in job_states(host, "mail")} == {"done"}
        assert len(server.inbox.messages) == len(waiting)  # each notification exactly once
        assert_consistent(host)
    finally:
        server.stop()
        host.db.dispose()


class StallingInbox(Inbox):
    """Holds the first DATA command until released, like a stuck mail relay."""

    def __init__(self) -> None:
        super().__init__()
        self.stall = True
        self.stalled = False

    async def handle_DATA(self, server, session, envelope):
        while self.stall:
            self.stalled = True
            await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def test_a_worker_killed_mid_delivery_leaves_the_mail_to_another_worker_which_sends_it_once(
        tmp_path, postgres_url):
    from tests.support import databases

    databases.truncate_all(postgres_url)
    server = SmtpServer()
    server.inbox = StallingInbox()
    server.start()
    settings = make_settings(tmp_path, postgres_url, smtp_url=f"smtp://127.0.0.1:{server.port}")
    host = open_host(settings)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("STROOM_")},
           "STROOM_DATABASE_URL": postgres_url, "STROOM_SMTP_URL": settings.smtp_url,
           "STROOM_INSTANCE_DIR": str(tmp_path / "worker"), "STROOM_SECRET_KEY": "test",
           "STROOM_AUDIT_KEY": host.audit_key.decode(),
           "STROOM_EMBEDDED_WORKER": "false", "PYTHONPATH": str(REPO)}
    doomed = None
    try:
        system = seed_people(host)
        with host.db.unit_of_work() as session:
            queue_mail(session, template="test", to=["anna@example.com"], language="en", context={},
                       environment_id=system.environment_id)
        doomed = subprocess.Popen([str(Path(sys.executable).with_name("stroom")), "worker"], cwd=REPO, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not server.inbox.stalled:
            assert time.monotonic() < deadline and doomed.poll() is None, "the worker never started delivering"
            time.sleep(0.05)
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait(10)
        server.inbox.stall = False
        assert job_states(host, "mail") == [("running", 1)]  # the dead worker's lease still holds it
        clock = FakeClock()
        clock.advance(minutes=2)  # past the dead worker's lease
        survivor = Worker(host, clock=clock)
        assert drain(survivor) == 1
        assert job_states(host, "mail") == [("done", 2)]
        assert [m.recipients for m in server.inbox.messages] == [["anna@example.com"]]
        assert_consistent(host)
    finally:
        if doomed is not None and doomed.poll() is None:
            doomed.kill()
        server.stop()
        host.db.dispose()
