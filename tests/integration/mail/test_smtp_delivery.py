"""Delivery over real SMTP (aiosmtpd on loopback): the right people, subject, language and body;
nothing lost or doubled while the server is down; login; refusals that no retry can fix."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.host import open_host
from server.instances import service as instances
from server.jobs.models import Job
from server.jobs.worker import Worker
from server.mail.service import queue_mail
from tests.conftest import make_settings
from tests.integration.jobs.support import FakeClock, deploy, drain, jobs_of, seed_people
from tests.integration.mail.conftest import SMTP_USER, SmtpServer, send_test_mail, smtp_url


def body(received, subtype="plain") -> str:
    return received.message.get_body(preferencelist=(subtype,)).get_content()


def test_task_notifications_arrive_with_the_right_people_subject_language_and_body(smtp_host, smtp_server):
    system = seed_people(smtp_host)
    deploy(smtp_host, system, "approval_reminder")
    with smtp_host.db.unit_of_work() as session:
        instances.start(session, smtp_host, actor=system, key="approval_reminder",
                        data={"escalate_to": "group:managers",
                              "invoice": {"supplier_name": "Bakkerij Brood & Zo", "number": "F-77"}})
    assert drain(Worker(smtp_host)) == 2
    by_rcpt = {tuple(r.recipients): r for r in smtp_server.inbox.messages}
    assert sorted(by_rcpt) == [("anna@example.com",), ("bob@example.com",)]
    anna, bob = by_rcpt[("anna@example.com",)], by_rcpt[("bob@example.com",)]
    assert anna.sender == bob.sender == "workflow@stroom.example"
    assert anna.message["Subject"] == "Nieuwe taak: Approve invoice (Bakkerij Brood & Zo)"
    assert bob.message["Subject"] == "New task: Approve invoice (Bakkerij Brood & Zo)"
    assert (anna.message["Content-Language"], bob.message["Content-Language"]) == ("nl", "en")
    assert anna.message["To"] == "Anna de Vries <anna@example.com>"
    assert "Beste Anna de Vries," in body(anna) and "Factuurnummer:  F-77" in body(anna)
    assert "Hello Bob Smith," in body(bob) and "Open the task: http://127.0.0.1:5000/tasks/" in body(bob)
    assert "Bakkerij Brood &amp; Zo" in body(bob, "html")
    job_ids = {j.id for j in jobs_of(smtp_host, "mail")}
    assert {r.message["Message-ID"] for r in smtp_server.inbox.messages} == {
        f"<stroom.job-{i}.env-{system.environment_id}@stroom.example>" for i in job_ids}


def test_mail_queued_while_smtp_is_down_is_retried_and_delivered_once_when_it_is_back(tmp_path, database_url):
    server = SmtpServer()  # not started yet: connections to its port are refused
    host = open_host(make_settings(tmp_path, database_url, smtp_url=f"smtp://127.0.0.1:{server.port}"))
    try:
        system = seed_people(host)
        with host.db.unit_of_work() as session:
            ids = [queue_mail(session, template="test", to=[f"user{n}@example.com"], language="en", context={},
                              environment_id=system.environment_id).id for n in range(5)]
        clock = FakeClock()
        worker = Worker(host, clock=clock)
        assert worker.run_once() == 5
        down = jobs_of(host, "mail")
        assert {(j.status, j.attempts) for j in down} == {("pending", 1)}
        assert all("Connection refused" in j.last_error or "ConnectionRefused" in j.last_error for j in down)
        clock.advance(seconds=2)
        assert worker.run_once() == 5  # still down: second attempt, backing off further
        server.start()
        clock.advance(seconds=4)
        assert drain(worker) == 5
        clock.advance(hours=2)
        assert drain(worker) == 0
        assert {(j.status, j.attempts) for j in jobs_of(host, "mail")} == {("done", 3)}
        received = sorted(r.recipients[0] for r in server.inbox.messages)
        assert received == [f"user{n}@example.com" for n in range(5)]  # each exactly once
        assert sorted(r.message["Message-ID"].split(".")[1] for r in server.inbox.messages) == sorted(
            f"job-{i}" for i in ids)
    finally:
        server.stop()
        host.db.dispose()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_is_used(tmp_path, sqlite_url):
    server = SmtpServer(require_login=True)
    server.start()
    try:
        status, _ = send_test_mail(tmp_path, sqlite_url, smtp_url("smtp", server), language="nl")
        assert [r.message["Subject"] for r in server.inbox.messages] == ["Stroom testbericht"]
        assert server.inbox.logins == [SMTP_USER]
        assert status == "done"
    finally:
        server.stop()


def test_a_refused_mailbox_fails_the_job_at_once_without_retrying(smtp_host, smtp_server):
    system = seed_people(smtp_host)
    with smtp_host.db.unit_of_work() as session:
        queue_mail(session, template="test", to=["nobody@example.com"], language="en", context={},
                   environment_id=system.environment_id)
    Worker(smtp_host).run_once()
    with smtp_host.db.unit_of_work() as session:
        job = session.scalars(select(Job).where(Job.kind == "mail")).one()
        assert (job.status, job.attempts) == ("failed", 1)
        assert "550" in job.last_error
    assert smtp_server.inbox.messages == []
