"""Recovery of documents stored but never processed: every worker's `recover_received` chore (server.jobs:
no job row waits for it) processes each document left `received` past the grace period as ingest would
have, as its environment's system actor.

A try that fails again keeps its error on the document (shown in the inbox) and the next waits longer
(server.invoices.unprocessed.retry_delay); after MAX_ATTEMPTS tries the document waits in the inbox.
"""
from __future__ import annotations

import datetime as dt
import logging

from server.audit import service as audit
from server.auth.actor import Actor
from server.errors import Conflict, DomainError
from server.host import Host
from server.invoices import service as ingestion
from server.invoices import unprocessed
from server.invoices.models import ReceivedDocument
from server.invoices.validation import ValidationReport

RUN_EVERY = dt.timedelta(seconds=60)
BATCH = 20  # documents per run; the next run, a minute later, takes the next ones
ACTOR_NAME = "recovery"
log = logging.getLogger("stroom.recovery")


def recover_due(host: Host, *, now: dt.datetime, validator: ingestion.Validator | None = None
                ) -> list[ingestion.IngestResult]:
    """Try each document of every environment left unprocessed and due (BATCH at most); returns the
    outcomes of those processed now (a failed try, or one another runner took, is left out)."""
    grace = unprocessed.grace(host.settings)
    with host.db.unit_of_work() as session:
        due = unprocessed.due(session, now=now, grace=grace, limit=BATCH)
    results = []
    for document_id, attempts in due:
        result = recover(host, document_id=document_id, attempts=attempts, now=now, validator=validator)
        if result is not None:
            results.append(result)
    return results


def recover(host: Host, *, document_id: int, attempts: int, now: dt.datetime,
            validator: ingestion.Validator | None = None) -> ingestion.IngestResult | None:
    """Claim one document left unprocessed (after `attempts` tries) and process it; None when another
    runner has it, or when this try failed (its error kept on the document and audited)."""
    with host.db.unit_of_work() as session:
        if not unprocessed.claim(session, document_id=document_id, attempts=attempts, now=now,
                                 grace=unprocessed.grace(host.settings)):
            return None
        document = session.get(ReceivedDocument, document_id)
        if document is None:
            return None
        actor = Actor.system(document.environment_id, ACTOR_NAME)
        content, report = _stored(host, document)
    try:
        return ingestion.process_stored(host, actor=actor, document_id=document_id, content=content, report=report,
                                        validator=validator, recovery="job")
    except Exception as exc:  # any failure is a failed try, recorded and tried again later
        log.exception("recovering document %s failed (try %s)", document_id, attempts + 1)
        _failed(host, actor=actor, document_id=document_id, attempt=attempts + 1, error=f"{type(exc).__name__}: {exc}")
        return None


def process_again(host: Host, *, actor: Actor, document_id: int, validator: ingestion.Validator | None = None
                  ) -> ingestion.IngestResult:
    """Process by hand, as `actor`, a document of their environment left `received` ("Process again" in the
    inbox, after the job's tries ran out or before it came by): as ingest would have, audited
    `document.recovered` via "by_hand". Conflict when it was processed already; a failure is kept on the
    document (shown in the inbox, audited) and raised. A runner processing it meanwhile (its first delivery,
    the job) is kept out by processing's row lock: the second finds it processed and answers its outcome."""
    with host.db.unit_of_work() as session:
        document = ingestion.get_document(session, actor, document_id)
        if document.status != "received":
            raise Conflict(f"document {document_id} was processed already: {document.status}",
                           code="already_processed", details=[{"status": document.status,
                                                               "instance_id": document.instance_id}])
        content, report = _stored(host, document)
    try:
        return ingestion.process_stored(host, actor=actor, document_id=document_id, content=content, report=report,
                                        validator=validator, recovery="by_hand")
    except DomainError:
        raise
    except Exception as exc:
        log.exception("processing document %s by hand failed", document_id)
        _failed(host, actor=actor, document_id=document_id, attempt=None, error=f"{type(exc).__name__}: {exc}")
        raise


def _stored(host: Host, document: ReceivedDocument) -> tuple[bytes, ValidationReport | None]:
    """The stored bytes, and the verdict when only the head of a body over the limit was kept."""
    content = document.content
    if document.size > len(content):
        return content, ingestion.too_large(document.size, limit=host.settings.max_document_bytes, kept=len(content))
    return content, None


def _failed(host: Host, *, actor: Actor, document_id: int, attempt: int | None, error: str) -> None:
    """Keep a failed try's error on the document and audit it (`attempt` None: a try by hand)."""
    with host.db.unit_of_work() as session:
        unprocessed.record_failure(session, document_id=document_id, error=error)
        audit.record(session, actor=actor, action="document.recovery_failed", target_type="document",
                     target_id=document_id, after={"attempt": attempt, "error": error[-unprocessed.ERROR_LIMIT:],
                                                   "last": attempt is not None and attempt >= unprocessed.MAX_ATTEMPTS})
