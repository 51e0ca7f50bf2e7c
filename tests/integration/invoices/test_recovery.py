"""A document stored but never processed (its process died, or processing raised, between ingest's two
transactions) is processed later by the worker's recovery job, or by a re-delivery of its bytes, exactly
once; one that keeps failing stops being tried and shows its last error in the inbox."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update

from server.app import create_app
from server.audit.models import AuditEvent
from server.auth.actor import Actor
from server.db import utcnow
from server.instances.models import ProcessInstance
from server.invoices import recovery, unprocessed
from server.invoices import service as invoices
from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.validation import validate
from server.jobs.models import Job
from server.jobs.worker import Worker
from tests.e2e.site import csrf
from tests.integration.jobs.support import FakeClock
from tests.support.factories import deploy_files, make_user, password_of
from tests.support.paths import CORPUS, REPO

MODELS = REPO / "tests" / "data" / "bpmn" / "ingestion"
VALID = CORPUS / "ubl" / "valid" / "base-example.xml"
PAST_GRACE = dt.timedelta(minutes=6)  # the default grace period is 5 minutes


def sync_validator(content, mode, max_bytes):
    """The real validation, in-process (the pool is exercised by the bench and the server)."""
    return validate(content, mode=mode, max_bytes=max_bytes)


def failing_validator(content, mode, max_bytes):
    raise RuntimeError("validator crashed")


@pytest.fixture
def sender(host, monkeypatch) -> Actor:
    return make_sender(host, monkeypatch)


def make_sender(host, monkeypatch) -> Actor:
    """`sender`, a creditor allowed to submit, with the ingestion models deployed and validation in-process."""
    actor, _ = make_user(host, "sender", roles=("user",), groups=("creditors",))
    deploy_files(host, actor, "purchase_invoice", MODELS / "purchase_invoice.bpmn")
    deploy_files(host, actor, "conversion_task", MODELS / "conversion_task.bpmn")
    monkeypatch.setattr("server.invoices.service.default_validator", sync_validator)
    return actor


def stored_only(host, actor) -> int:
    """A document stored by the first transaction of ingest, whose second never ran (the process died)."""
    with host.db.unit_of_work() as session:
        document_id, is_new = invoices.store(session, actor=actor, content=VALID.read_bytes(), filename="a.xml")
    assert is_new
    return document_id


def age(host, document_id: int, by: dt.timedelta = PAST_GRACE) -> None:
    with host.db.unit_of_work() as session:
        session.execute(update(ReceivedDocument).where(ReceivedDocument.id == document_id)
                        .values(received_at=utcnow() - by))


def document(host, document_id: int) -> ReceivedDocument:
    with host.db.unit_of_work() as session:
        found = session.get(ReceivedDocument, document_id)
        session.expunge(found)
        return found


def instances_of(host, document_id: int) -> list[ProcessInstance]:
    with host.db.unit_of_work() as session:
        invoice_instances = select(Invoice.instance_id).where(Invoice.document_id == document_id)
        return list(session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(invoice_instances))))


def actions(host, document_id: int) -> list[str]:
    with host.db.unit_of_work() as session:
        return list(session.scalars(select(AuditEvent.action).where(
            AuditEvent.target_type == "document", AuditEvent.target_id == str(document_id))
            .order_by(AuditEvent.id)))


def test_a_document_whose_processing_raised_is_processed_by_the_recovery_job(host, sender):
    with pytest.raises(RuntimeError):
        invoices.ingest(host, actor=sender, content=VALID.read_bytes(), validator=failing_validator)
    with host.db.unit_of_work() as session:
        document_id = session.scalars(select(ReceivedDocument.id)).one()
    age(host, document_id)
    clock = FakeClock()
    worker = Worker(host, clock=clock, handlers={})
    assert worker.run_chores() == 1
    stored = document(host, document_id)
    assert stored.status == "accepted" and stored.instance_id is not None and stored.recovery_attempts == 1
    [instance] = instances_of(host, document_id)
    assert instance.id == stored.instance_id and instance.model_key == "purchase_invoice"
    assert actions(host, document_id) == ["document.received", "document.accepted", "document.recovered"]
    # A chore, not a job: nothing waits in the queue for it, and it comes back a minute later.
    with host.db.unit_of_work() as session:
        assert session.scalars(select(Job)).all() == []
    assert worker.run_chores() == 0
    clock.advance(seconds=recovery.RUN_EVERY.total_seconds())
    assert worker.run_chores() == 1


def test_within_the_grace_period_a_stored_document_is_left_to_its_first_delivery(host, sender):
    document_id = stored_only(host, sender)
    assert recovery.recover_due(host, now=utcnow(), validator=sync_validator) == []
    stored = document(host, document_id)
    assert stored.status == "received" and stored.recovery_attempts == 0 and instances_of(host, document_id) == []


def test_two_recoveries_at_once_start_one_workflow(host, sender):
    document_id = stored_only(host, sender)
    age(host, document_id)
    now, results = utcnow(), []
    threads = [threading.Thread(target=lambda: results.append(recovery.recover(
        host, document_id=document_id, attempts=0, now=now, validator=sync_validator))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r is None for r in results) == [False, True]  # the second found it claimed
    assert len(instances_of(host, document_id)) == 1
    with host.db.unit_of_work() as session:  # the claim itself: one claimer of one count of tries wins
        assert not unprocessed.claim(session, document_id=document_id, attempts=0, now=now,
                                     grace=dt.timedelta(minutes=5))


RACERS = {
    # the recovery job: its claim waits for the first delivery's row lock (or writer turn), then finds it done
    "recovery": lambda host, document_id: recovery.recover(host, document_id=document_id, attempts=0, now=utcnow(),
                                                           validator=sync_validator),
    # a runner past any claim: processing waits for the first delivery's lock on the document, then finds
    # it processed and answers with its outcome
    "processing": lambda host, document_id: invoices.process_stored(
        host, actor=Actor.system(1, "racer"), document_id=document_id, content=VALID.read_bytes(),
        validator=sync_validator),
}


@pytest.mark.parametrize("racer", sorted(RACERS))
def test_a_slow_first_delivery_and_a_runner_racing_it_start_one_workflow(host, sender, racer):
    document_id = stored_only(host, sender)
    age(host, document_id)
    report = sync_validator(VALID.read_bytes(), host.settings.ubl_rules, host.settings.max_document_bytes)
    answers = []
    with host.db.unit_of_work() as session:  # the slow first delivery, processing (not yet committed)
        first = invoices.process(session, host, actor=sender, document_id=document_id, report=report)
        racing = threading.Thread(target=lambda: answers.append(RACERS[racer](host, document_id)))
        racing.start()
        racing.join(timeout=1.0)  # it waits for the first delivery's row lock (PostgreSQL) or writer turn
    racing.join()
    [instance] = instances_of(host, document_id)
    assert instance.id == first.instance_id
    assert answers == [None] if racer == "recovery" else answers[0].duplicate
    assert racer == "recovery" or answers[0].instance_id == first.instance_id
    assert document(host, document_id).status == "accepted"
    with host.db.unit_of_work() as session:
        assert session.scalars(select(Invoice.id).where(Invoice.document_id == document_id)).all() == [
            first.invoice_id]


def test_a_document_that_keeps_failing_stops_being_tried_and_its_error_shows_in_the_inbox(host, sender):
    document_id = stored_only(host, sender)
    age(host, document_id)
    now = utcnow()
    for _ in range(unprocessed.MAX_ATTEMPTS):
        assert recovery.recover_due(host, now=now, validator=failing_validator) == []
        assert recovery.recover_due(host, now=now, validator=failing_validator) == []  # backing off: untried
        with host.db.unit_of_work() as session:
            assert not unprocessed.due(session, now=now, grace=dt.timedelta(minutes=5), limit=10)
        now += unprocessed.BACKOFF_CAP
    with host.db.unit_of_work() as session:
        assert unprocessed.due(session, now=now + dt.timedelta(days=30), grace=dt.timedelta(minutes=5),
                               limit=10) == []
    stored = document(host, document_id)
    assert stored.status == "received" and stored.recovery_attempts == unprocessed.MAX_ATTEMPTS
    assert stored.recovery_error == "RuntimeError: validator crashed"
    assert actions(host, document_id).count("document.recovery_failed") == unprocessed.MAX_ATTEMPTS
    client = create_app(host=host).test_client()
    token = csrf(client.get("/login").text)
    assert client.post("/login", data={"login": "sender", "password": password_of("sender"), "csrf_token": token}
                       ).status_code == 302
    page = client.get("/inbox?status=received")
    assert page.status_code == 200
    assert "Not processed after 5 tries; last error: RuntimeError: validator crashed" in page.text


def test_a_redelivery_after_the_grace_period_processes_the_document(host, sender):
    document_id = stored_only(host, sender)
    within = invoices.ingest(host, actor=sender, content=VALID.read_bytes())
    assert within.duplicate and within.status == "received" and within.document_id == document_id
    age(host, document_id)
    again = invoices.ingest(host, actor=sender, content=VALID.read_bytes())
    assert not again.duplicate and again.status == "accepted" and again.document_id == document_id
    assert [i.id for i in instances_of(host, document_id)] == [again.instance_id]
    assert actions(host, document_id)[-1] == "document.recovered"
    later = invoices.ingest(host, actor=sender, content=VALID.read_bytes())
    assert later.duplicate and later.instance_id == again.instance_id
