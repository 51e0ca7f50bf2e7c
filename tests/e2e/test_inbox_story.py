"""A creditor's morning in a real browser: an invoice whose server died between storing and processing it
waits in the inbox as `received`, with the error of the try that failed; "Process again" processes it,
once, and its workflow starts."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from server.auth.actor import Actor
from server.auth.models import Environment
from server.demo_data import demo_invoice_paths
from server.invoices import service as invoices
from server.invoices.models import ReceivedDocument
from server.operations import documents
from tests.e2e.conftest import Browse
from tests.e2e.site import Site


def crash(content: bytes, mode: str, max_bytes: int):
    raise RuntimeError("the validator process was killed")


def left_unprocessed(site: Site) -> int:
    """A stored invoice whose processing never happened, then one failed try by hand."""
    sample = next(p for p in demo_invoice_paths() if p.name == "auto_approve_exact.xml").read_bytes()
    unique = re.sub(rb"<cbc:ID>[^<]*</cbc:ID>", f"<cbc:ID>INBOX-{uuid.uuid4().hex[:8]}</cbc:ID>".encode(), sample,
                    count=1)
    with site.host.db.unit_of_work() as session:
        env_id = session.scalars(select(Environment.id).where(Environment.name == "default")).one()
        document_id, _ = invoices.store(session, actor=Actor.system(env_id, "tests"), content=unique,
                                        filename="stuck.xml", source="folder")
    with pytest.raises(RuntimeError):
        documents.process_document(site.host, actor=Actor.system(env_id, "tests"), document_id=document_id,
                                   validator=crash)
    return document_id


def test_a_creditor_processes_a_stuck_invoice_again_from_the_inbox(browse: Browse, site: Site) -> None:
    document_id = left_unprocessed(site)
    page = browse.login("carla")
    page.goto(f"{browse.base_url}/inbox?status=received")
    row = page.locator("tr", has=page.get_by_test_id(f"process-{document_id}"))
    assert "RuntimeError: the validator process was killed" in row.get_by_test_id("recovery-error").inner_text()
    browse.shot("stuck")
    row.get_by_test_id(f"process-{document_id}").click()
    page.locator(".flash", has_text=f"Invoice accepted (document {document_id})").wait_for()
    assert page.get_by_test_id(f"process-{document_id}").count() == 0
    with site.host.db.unit_of_work() as session:
        stored = session.get(ReceivedDocument, document_id)
        assert stored is not None and stored.status == "accepted" and stored.instance_id is not None
        instance_id = stored.instance_id
    page.goto(f"{browse.base_url}/inbox?status=accepted")
    page.locator(f"a[href='/instances/{instance_id}']").first.wait_for()
    assert browse.errors == []
