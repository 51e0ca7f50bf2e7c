"""The default outbox, the `send_mail` service task, recipients, templates and the CLI."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.auth import service as auth
from server.auth.models import User
from server.cli import build
from server.errors import InvalidInput
from server.instances import service as instances
from server.instances.models import Incident, ProcessInstance
from server.jobs.worker import Worker
from server.mail import delivery
from server.mail.recipients import resolve
from server.mail.render import LANGUAGES, TEMPLATES, render
from tests.integration.jobs.support import FakeClock, deploy, drain, jobs_of, seed_people

ROOT = Path(__file__).resolve().parents[3]
REFUSED = {"invoice": {"number": "F-2024-0042", "issue_date": "2024-05-01", "contact_email": "facturen@bakker.nl",
                       "contact_name": "Jan Bakker", "supplier_country": "NL"},
           "reasons": ["BR-CO-15: totaal klopt niet", "Ordernummer <ontbreekt>"], "comment": "Intern: bel Piet"}


def read_eml(path: Path):
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def run_cli(host, *args: str):
    env = {"STROOM_INSTANCE_DIR": str(host.settings.instance_dir), "STROOM_DATABASE_URL": host.settings.database_url,
           "STROOM_OUTBOX_DIR": str(host.settings.outbox), "STROOM_LOG_LEVEL": "WARNING"}
    result = CliRunner(env=env).invoke(build(), list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_send_mail_tells_the_supplier_contact_why_the_invoice_was_refused(host):
    system = seed_people(host)
    deploy(host, system, "disapproval_notice")
    with host.db.unit_of_work() as session:
        instance = instances.start(session, host, actor=system, key="disapproval_notice", data=REFUSED)
        assert instance.status == "completed"
    drain(Worker(host))
    [job] = jobs_of(host, "mail")
    message = read_eml(host.settings.outbox / f"job-{job.id:08d}.eml")
    assert message["To"] == "Jan Bakker <facturen@bakker.nl>"
    assert message["Subject"] == "Uw factuur F-2024-0042 is niet geaccepteerd"
    assert message["Message-ID"] == f"<stroom.job-{job.id}.env-{system.environment_id}@localhost>"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "  - BR-CO-15: totaal klopt niet\n  - Ordernummer <ontbreekt>" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Ordernummer &lt;ontbreekt&gt;" in html
    assert "bel Piet" not in text and "bel Piet" not in html  # the approver's comment stays internal
    assert not list(host.settings.outbox.glob("*.tmp"))


def test_a_mail_queued_in_a_rolled_back_transaction_is_never_sent(host):
    system = seed_people(host)
    deploy(host, system, "disapproval_notice")
    with pytest.raises(RuntimeError), host.db.unit_of_work() as session:
        instances.start(session, host, actor=system, key="disapproval_notice", data=REFUSED)
        raise RuntimeError("the request failed after the service task ran")
    assert jobs_of(host) == []


def test_send_mail_without_a_contact_address_opens_an_incident(host):
    system = seed_people(host)
    deploy(host, system, "disapproval_notice")
    with host.db.unit_of_work() as session:
        instance_id = instances.start(session, host, actor=system, key="disapproval_notice",
                                      data={"invoice": {"number": "F-1"}, "reasons": [], "comment": ""}).id
    with host.db.unit_of_work() as session:
        assert session.get(ProcessInstance, instance_id).status == "failed"
        incident = session.scalars(select(Incident).where(Incident.instance_id == instance_id)).one()
        assert incident.element_id == "notify_supplier" and "no mail recipient 'invoice'" in incident.error
    assert jobs_of(host, "mail") == []


def test_recipients_come_from_users_groups_roles_the_invoice_or_fixed_addresses(host):
    system = seed_people(host)
    with host.db.unit_of_work() as session:
        auth.create_user(session, system.environment_id, "gone", actor=system, groups=("creditors",),
                         email="gone@example.com")
        session.scalars(select(User).where(User.login == "gone")).one().active = False
        found = resolve(session, system.environment_id,
                        ["group:creditors", "role:admin", "user:bob", "Ops <ops@example.com>", "invoice"],
                        data=REFUSED)
        assert [(r.address, r.language) for r in found] == [
            ("anna@example.com", "nl"), ("bob@example.com", "en"), ("maria@example.com", "nl"),
            ("ops@example.com", "en"), ("facturen@bakker.nl", "nl")]
        for unknown in ("group:nobody", "user:ghost", "not an address", "invoice"):
            with pytest.raises(InvalidInput):
                resolve(session, system.environment_id, [unknown], data={})
        assert resolve(session, system.environment_id, ["group:nobody"], strict=False) == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_has_a_dutch_and_an_english_text_and_html_version(template):
    context = {"task": {"name": "Approve", "url": "http://x/tasks/1"}, "invoice": REFUSED["invoice"],
               "reasons": ["R1"], "outcome": "approved", "document": {"name": "scan.pdf"}, "recipient": {"name": "A"}}
    versions = {lang: render(template, language=lang, context=context) for lang in LANGUAGES}
    assert versions["nl"].subject and versions["en"].subject
    assert versions["nl"].text != versions["en"].text
    for rendered in versions.values():
        assert rendered.html.startswith("<!DOCTYPE html>") and f'lang="{rendered.language}"' in rendered.html
        assert "\n" not in rendered.subject


def test_stroom_mail_test_queues_into_the_outbox_and_a_redelivery_keeps_its_message_id(host):
    seed_people(host)
    job_id = json.loads(run_cli(host, "mail", "test", "ops@example.com", "--language", "nl"))["job"]
    assert "mail" in run_cli(host, "jobs") and "pending" in run_cli(host, "jobs")
    clock = FakeClock()
    assert drain(Worker(host, clock=clock)) == 1
    path = host.settings.outbox / f"job-{job_id:08d}.eml"
    first = read_eml(path)
    assert (first["Subject"], first["To"]) == ("Stroom testbericht", "ops@example.com")
    [job] = jobs_of(host, "mail")
    again = delivery.build_message(job.payload, job_id=job.id, environment_id=job.environment_id,
                                   sender=host.settings.smtp_from)
    delivery.send(host.settings, again, recipients=["ops@example.com"], job_id=job.id)
    assert read_eml(path)["Message-ID"] == first["Message-ID"]
    assert [p.name for p in host.settings.outbox.iterdir()] == [path.name]


def test_stroom_jobs_failed_lists_attempts_and_the_last_error(host):
    system = seed_people(host)
    with host.db.unit_of_work() as session:
        from server.jobs import service as jobs

        jobs.enqueue(session, "unknown_kind", {}, environment_id=system.environment_id, max_attempts=1)
    Worker(host, handlers={"unknown_kind": lambda ctx: 1 / 0}).run_once()
    listed = run_cli(host, "jobs", "--failed")
    assert "unknown_kind" in listed and "failed" in listed and "1/1" in listed
    assert "ZeroDivisionError: division by zero" in listed
    [row] = [json.loads(line) for line in run_cli(host, "jobs", "--failed", "--json").splitlines()]
    assert (row["attempts"], row["status"]) == (1, "failed")


def test_stroom_worker_delivers_and_stops_cleanly_on_sigterm(tmp_path):
    env = {"STROOM_INSTANCE_DIR": str(tmp_path / "instance"), "STROOM_LOG_LEVEL": "WARNING"}
    runner = CliRunner(env={**env, "STROOM_DATABASE_URL": None, "STROOM_OUTBOX_DIR": None})
    assert runner.invoke(build(), ["db", "upgrade"]).exit_code == 0
    queued = runner.invoke(build(), ["mail", "test", "ops@example.com"])
    job_id = json.loads(queued.output)["job"]
    process_env = {**os.environ, **env}
    process_env.pop("STROOM_DATABASE_URL", None)
    worker = subprocess.Popen([sys.executable, "-m", "server", "worker"], env=process_env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    eml = tmp_path / "instance" / "outbox" / f"job-{job_id:08d}.eml"
    deadline = time.monotonic() + 60
    while not eml.exists():
        assert time.monotonic() < deadline and worker.poll() is None, worker.communicate()
        time.sleep(0.05)
    worker.send_signal(signal.SIGTERM)
    _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err.decode()
    assert read_eml(eml)["Subject"] == "Stroom test message"
