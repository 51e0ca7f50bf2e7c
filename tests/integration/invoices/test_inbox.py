"""The watched folder: accepted files go to processed/, refused ones to failed/ with a reason file."""
import shutil

from sqlalchemy import select

from server.auth.actor import Actor
from server.invoices.inbox import scan_once
from server.invoices.models import ReceivedDocument
from tests.support.factories import deploy_files, make_user
from tests.support.paths import CORPUS, REPO

MODELS = REPO / "tests" / "data" / "bpmn" / "ingestion"


def test_inbox_files_are_ingested_and_moved_aside(host, tmp_path, monkeypatch):
    from server.invoices.validation import validate

    monkeypatch.setattr("server.invoices.service.default_validator",
                        lambda content, mode, max_bytes: validate(content, mode=mode, max_bytes=max_bytes))
    actor, _ = make_user(host, "designer", roles=("designer",))
    deploy_files(host, actor, "purchase_invoice", MODELS / "purchase_invoice.bpmn")
    deploy_files(host, actor, "conversion_task", MODELS / "conversion_task.bpmn")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(CORPUS / "ubl" / "valid" / "base-example.xml", inbox / "good.xml")
    (inbox / "bad.xml").write_bytes(b"this is not xml")
    results = scan_once(host, inbox, settle_seconds=0)
    assert sorted(r.status for r in results) == ["accepted", "rejected"]
    assert (inbox / "processed" / "good.xml").exists()
    assert (inbox / "failed" / "bad.xml").exists()
    assert "not_xml" in (inbox / "failed" / "bad.xml.reason.txt").read_text()
    assert not (inbox / "good.xml").exists() and not (inbox / "bad.xml").exists()
    with host.db.unit_of_work() as session:
        stored = session.scalars(select(ReceivedDocument.filename).order_by(ReceivedDocument.filename)).all()
    assert stored == ["bad.xml", "good.xml"]
    assert isinstance(actor, Actor)
