"""Mail in the recipient's language over real SMTP: a Dutch approver reads the task and process names
from the model's catalogue, and the due date and amount as Dutch writes them; an English colleague
reads the same mail in English; a plain address reads STROOM_MAIL_LANGUAGE."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from server.host import open_host
from server.instances import service as instances
from server.jobs.worker import Worker
from server.mail.render import ZONE_KEY, render
from server.settings import SettingsError, load_settings
from tests.conftest import make_settings
from tests.integration.jobs.support import FakeClock, drain, seed_people

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Definitions_lang" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="approval_in_words" name="Approval with a reminder" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="approve" name="Approve invoice" camunda:candidateGroups="creditors" camunda:dueDate="=due">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="notify" value="assigned" />
        <camunda:property name="remind" value="PT1H" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="late" name="After 2 hours" attachedToRef="approve" cancelActivity="false">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT2H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:serviceTask id="escalate" name="Escalate" camunda:type="external" camunda:topic="send_mail">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="template" value='"escalation"' />
        <camunda:property name="to" value='"group:managers, controller@example.com"' />
        <camunda:property name="reason" value='"Not approved in time"' />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="escalated"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="approved"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="approved" />
    <bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="escalate" />
    <bpmn:sequenceFlow id="f4" sourceRef="escalate" targetRef="escalated" />
  </bpmn:process>
</bpmn:definitions>
"""
CATALOGUE = {"nl": {"Approve invoice": "Factuur goedkeuren", "Approval with a reminder": "Goedkeuring met herinnering",
                    "Not approved in time": "Niet op tijd goedgekeurd", "After 2 hours": "Na 2 uur",
                    "Escalate": "Escaleren"}}


def text_of(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def test_dutch_and_english_approvers_read_task_reminder_and_escalation_mail_each_in_their_language(
        tmp_path, database_url, smtp_server):
    host = open_host(make_settings(tmp_path, database_url, smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
                                   mail_language="nl"))
    try:
        system = seed_people(host)
        with host.db.unit_of_work() as session:
            instances.deploy(session, host, actor=system, key="approval_in_words",
                             bpmn={"approval_in_words.bpmn": MODEL.encode()},
                             forms={"approval_in_words.bpmn.translations.json": json.dumps(CATALOGUE).encode()})
            instances.start(session, host, actor=system, key="approval_in_words", data={
                "due": "2030-05-01T09:30:00+02:00",
                "invoice": {"supplier_name": "Bakkerij Brood", "number": "F-88", "payable_amount": "1234.5",
                            "currency": "EUR"}})
        clock = FakeClock()
        worker = Worker(host, clock=clock)
        assert drain(worker) == 2
        assigned = {r.recipients[0]: r for r in smtp_server.inbox.messages}
        anna, bob = assigned["anna@example.com"], assigned["bob@example.com"]
        assert anna.message["Subject"] == "Nieuwe taak: Factuur goedkeuren (Bakkerij Brood)"
        assert "Stroom: Factuur goedkeuren (proces Goedkeuring met herinnering)." in text_of(anna)
        assert "Handel deze af vóór 1 mei 2030 07:30 UTC." in text_of(anna)
        assert "Bedrag:         €\xa01.234,50" in text_of(anna)  # CLDR: a no-break space
        assert "Factuur goedkeuren" in anna.message.get_body(preferencelist=("html",)).get_content()
        assert bob.message["Subject"] == "New task: Approve invoice (Bakkerij Brood)"
        assert "(process Approval with a reminder)" in text_of(bob) and "May 1, 2030" in text_of(bob)
        assert "€1,234.50" in text_of(bob)
        assert "approval_in_words" not in text_of(anna) + text_of(bob)  # the name, never the model key

        smtp_server.inbox.messages.clear()
        clock.advance(hours=1, minutes=1)
        assert drain(worker) >= 2  # the reminder job, then its mails
        reminded = {r.recipients[0]: r for r in smtp_server.inbox.messages}
        assert reminded["anna@example.com"].message["Subject"] == \
            "Herinnering: Factuur goedkeuren staat nog open (Bakkerij Brood)"
        assert "De uiterste datum is 1 mei 2030 07:30 UTC." in text_of(reminded["anna@example.com"])
        assert "Reminder: Approve invoice is still open" in reminded["bob@example.com"].message["Subject"]

        smtp_server.inbox.messages.clear()
        clock.advance(hours=1)
        assert drain(worker) >= 2  # the timer, then the escalation mails
        escalated = {r.recipients[0]: r for r in smtp_server.inbox.messages}
        maria = text_of(escalated["maria@example.com"])
        assert escalated["maria@example.com"].message["Subject"] == \
            "Escalatie: Factuur goedkeuren is niet op tijd afgehandeld"
        assert "(proces Goedkeuring met herinnering)" in maria and "Reden: Niet op tijd goedgekeurd" in maria
        # A plain address has no language of its own: it reads STROOM_MAIL_LANGUAGE (nl here).
        assert escalated["controller@example.com"].message["Content-Language"] == "nl"
    finally:
        host.db.dispose()


def test_mail_moments_are_written_in_the_deployments_time_zone(
        tmp_path, database_url, smtp_server):
    host = open_host(make_settings(tmp_path, database_url, smtp_url=f"smtp://127.0.0.1:{smtp_server.port}",
                                   mail_language="nl", timezone="Europe/Amsterdam"))
    try:
        system = seed_people(host)
        with host.db.unit_of_work() as session:
            instances.deploy(session, host, actor=system, key="approval_in_words",
                             bpmn={"approval_in_words.bpmn": MODEL.encode()},
                             forms={"approval_in_words.bpmn.translations.json": json.dumps(CATALOGUE).encode()})
            instances.start(session, host, actor=system, key="approval_in_words", data={
                "due": "2030-05-01T09:30:00+02:00",
                "invoice": {"supplier_name": "Bakkerij Brood", "number": "F-88", "payable_amount": "1",
                            "currency": "EUR"}})
        clock = FakeClock()
        worker = Worker(host, clock=clock)
        assert drain(worker) == 2
        assigned = {r.recipients[0]: r for r in smtp_server.inbox.messages}
        # 07:30 UTC is 09:30 summer time in Amsterdam; the zone is named, so nobody reads it as UTC.
        assert "Handel deze af vóór 1 mei 2030 09:30 CEST." in text_of(assigned["anna@example.com"])
        assert "May 1, 2030 9:30\u202fAM CEST" in text_of(assigned["bob@example.com"])

        smtp_server.inbox.messages.clear()
        clock.advance(hours=1, minutes=1)
        assert drain(worker) >= 2
        reminded = {r.recipients[0]: r for r in smtp_server.inbox.messages}
        assert "De uiterste datum is 1 mei 2030 09:30 CEST." in text_of(reminded["anna@example.com"])
    finally:
        host.db.dispose()


def test_process_data_cannot_choose_the_zone_a_mail_is_written_in():
    due = dt.datetime(2030, 1, 15, 7, 30, tzinfo=dt.UTC)
    mail = render("reminder", language="en", timezone="Europe/Amsterdam",
                  context={"task": {"name": "Approve", "due_at": due, "url": "u"}, ZONE_KEY: "Asia/Tokyo"})
    assert "It is due on Jan 15, 2030 8:30\u202fAM CET." in mail.text  # winter time; Tokyo would say 4:30 PM


def test_the_time_zone_comes_from_the_environment_and_an_unknown_one_stops_the_start(tmp_path):
    base = {"STROOM_INSTANCE_DIR": str(tmp_path), "STROOM_SECRET_KEY": "k"}
    assert load_settings(base).timezone == "UTC"
    assert load_settings({**base, "STROOM_TIMEZONE": "Europe/Amsterdam"}).timezone == "Europe/Amsterdam"
    for bad in ("Mars/Olympus", "../../etc/passwd", ""):
        with pytest.raises(SettingsError, match="STROOM_TIMEZONE"):
            load_settings({**base, "STROOM_TIMEZONE": bad})
