"""A step that fails for good tells the document's sender so only when the address is known, and never
with the error's text (which can quote data, or a remote system's reply)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.host import open_host
from server.instances import service as instances
from server.instances.models import ProcessInstance
from server.instances.registry import default_services
from server.invoices import service as ingestion
from server.jobs.models import Job
from server.jobs.worker import Worker
from server.masterdata import service as masterdata
from server.masterdata.inputs import TrustedSenderInput
from tests.integration.jobs.support import FakeClock, drain, seed_people
from tests.integration.jobs.test_automatic_retries import SCRIPT_TEMPLATE

ERROR = "ERP replied: pay the amount to NL00EVIL0123456789 today"


def _fail_for_good(settings, sender: str, *, trusted: bool) -> tuple[dict, list[Job]]:
    def erp_post(call):
        raise ConnectionError(ERROR)

    host = open_host(settings, services=default_services().merged([("erp_post", erp_post)]))
    try:
        system = seed_people(host)
        bpmn = SCRIPT_TEMPLATE.read_bytes().replace(b"SCRIPT", b"{x: 1}").replace(b"SERVICE", b"erp_post")
        with host.db.unit_of_work() as session:
            if trusted:
                masterdata.create_trusted_sender(session, TrustedSenderInput(sender, "test"),
                                                 environment_id=system.environment_id)
            document_id, _ = ingestion.store(session, actor=system, content=b"<Invoice/>", filename="x.xml",
                                             sender=sender)
            instances.deploy(session, host, actor=system, key="book", bpmn={"book.bpmn": bpmn})
            instances.start(session, host, actor=system, key="book", data={"document_id": document_id})
        clock = FakeClock()
        worker = Worker(host, clock=clock)
        for _ in range(4):
            clock.advance(hours=1)
            drain(worker)
        with host.db.unit_of_work() as session:
            conversion = session.scalars(select(ProcessInstance).where(
                ProcessInstance.model_key == "conversion_task")).one()
            data = instances.load_run(session, host, conversion, actor=system).data
            mails = list(session.scalars(select(Job).where(Job.kind == "mail")))
            session.expunge_all()
        return data, mails
    finally:
        host.db.dispose()


@pytest.mark.parametrize("trusted", [False, True], ids=["unknown", "trusted"])
def test_a_step_failed_for_good_mails_only_a_known_sender_and_no_error_text(settings, trusted):
    data, mails = _fail_for_good(settings, "someone@elsewhere.example", trusted=trusted)
    assert data["sender"] == ("someone@elsewhere.example" if trusted else "")
    assert data["reasons"] == ["service_step_failed: The document could not be processed completely."]
    to_sender = [m for m in mails if m.payload["to"] == ["someone@elsewhere.example"]]
    assert len(to_sender) == (1 if trusted else 0)
    assert all("NL00EVIL" not in m.payload["text"] + m.payload["html"] for m in mails)
