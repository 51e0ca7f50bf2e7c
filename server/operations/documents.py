"""Submit a document, process one left unprocessed, and start its workflow: the verbs behind POST
/api/v1/invoices, the inbox page, `stroom ingest`, `stroom inbox scan|process` and the watched folder."""
from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.permissions import require
from server.errors import InvalidInput
from server.host import Host
from server.invoices import recovery
from server.invoices import service as ingestion
from server.invoices.receiving import SpooledBody
from server.invoices.service import IngestResult, Validator

MOTIVATION_CHARS = 2000
SubmittedDocument = IngestResult  # the typed answer of a submission (ids, status, reasons, warnings)


@dataclasses.dataclass(frozen=True)
class StartedDocument:
    """A workflow started by hand for a received document."""

    document_id: int
    instance_id: int
    status: str
    model: str


def process_document(host: Host, *, actor: Actor, document_id: int,
                     validator: Validator | None = None) -> SubmittedDocument:
    """Process a stored document that never was (left `received`: its process died, or processing raised),
    for an actor allowed to submit invoices: the inbox's "Process again", POST
    /api/v1/documents/{id}/process, `stroom inbox process`. Owns its transactions, as a submission does."""
    require(actor, "invoices.submit")
    return recovery.process_again(host, actor=actor, document_id=document_id, validator=validator)


def submit_document(host: Host, *, actor: Actor, body: SpooledBody, filename: str | None = None,
                    source: str = "api", sender: str | None = None, content_type: str = "application/xml",
                    validator: Validator | None = None) -> SubmittedDocument:
    """Store, validate and process a spooled document for an actor allowed to submit invoices.

    The one verb that owns its transactions: the raw bytes are committed before validation runs (nothing
    received is lost), and validation runs outside any transaction (ingestion's module docstring)."""
    require(actor, "invoices.submit")
    return ingestion.receive(host, actor=actor, body=body, filename=filename, source=source,
                             sender=_sender(sender), content_type=content_type, validator=validator)


def submit_content(host: Host, *, actor: Actor, content: bytes, filename: str | None = None,
                   source: str = "api", sender: str | None = None,
                   validator: Validator | None = None) -> SubmittedDocument:
    """`submit_document` for bytes already read (the watched folder reads each file whole, bounded)."""
    require(actor, "invoices.submit")
    return ingestion.ingest(host, actor=actor, content=content, filename=filename, source=source,
                            sender=_sender(sender), validator=validator)


def start_document(session: Session, host: Host, *, actor: Actor, document_id: int,
                   model: object = ingestion.PURCHASE_MODEL, motivation: object = "") -> StartedDocument:
    """Start a workflow for a received document (an invoice gets its purchase data; a second purchase start
    is a Conflict); audited as `document.started`. Flushes only."""
    require(actor, "instances.start")
    if not isinstance(model, str) or not model.strip():
        raise InvalidInput("model must be a model key", code="invalid_model_key",
                           details=[{"field": "model", "message": "is required"}])
    if not isinstance(motivation, str):
        raise InvalidInput("motivation must be text", code="invalid_json",
                           details=[{"field": "motivation", "message": "must be text"}])
    key = model.strip()
    instance = ingestion.start_document(session, host, actor=actor, document_id=document_id, key=key,
                                        motivation=motivation[:MOTIVATION_CHARS])
    audit.record(session, actor=actor, action="document.started", target_type="document", target_id=document_id,
                 instance_id=instance.id, after={"model": key})
    session.flush()
    return StartedDocument(document_id=document_id, instance_id=instance.id, status=instance.status, model=key)


def _sender(sender: str | None) -> str | None:
    """A sender as the document keeps it: trimmed, empty means none."""
    return (sender or "").strip() or None
