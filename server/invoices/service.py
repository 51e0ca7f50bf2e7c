"""Ingestion: store the raw bytes first, validate off the request thread, then start a workflow.

Three steps, two transactions: (1) the document is committed before anything else happens, so
nothing received is ever lost; (2) validation runs outside any transaction, in the validator pool;
(3) the invoice row and the workflow instance are created together, or the conversion task starts.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.attached import attach, insert_attached
from server.audit import service as audit
from server.auth.actor import Actor
from server.auth.models import User
from server.db import execute, utcnow
from server.errors import Conflict, InvalidInput, NotFound
from server.host import Host
from server.instances import service as instances
from server.instances import starts
from server.instances.models import ProcessInstance
from server.instances.shipped import ensure_deployed
from server.invoices import refusals, unprocessed
from server.invoices.facts import facts_from_invoice
from server.invoices.matching import supplier_key
from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.parsed import remember_parsed
from server.invoices.receiving import SpooledBody
from server.invoices.refusals import sender_address
from server.invoices.safexml import DocumentError
from server.invoices.snapshot import snapshot_for
from server.invoices.ubl import parse_invoice
from server.invoices.ubl_types import Invoice as ParsedInvoice
from server.invoices.validation import Finding, ValidationReport
from server.invoices.validation_pool import validate_in_worker
from server.masterdata.records import MasterData
from server.masterdata.service import is_trusted_sender

PURCHASE_MODEL = "purchase_invoice"
CONVERSION_MODEL = refusals.CONVERSION_MODEL
TRUSTED_SENDER_MODEL = "trusted_sender"
SUBMITTED_BY = "submitted_by"  # process data: logins of the uploader and the manual starter
APPROVAL_MARGIN_DAYS = 3
Validator = Callable[[bytes, str, int], ValidationReport]


@dataclasses.dataclass(frozen=True)
class IngestResult:
    """What the sender is told: ids, whether it was accepted, and why not."""

    document_id: int
    status: str  # accepted, rejected, waiting (for a manual start), received (not yet processed)
    invoice_id: int | None = None
    instance_id: int | None = None
    workflow: str | None = None
    duplicate: bool = False
    reasons: tuple[dict[str, str], ...] = ()
    warnings: tuple[dict[str, str], ...] = ()
    document_type: str | None = None
    profile: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "reasons": list(self.reasons), "warnings": list(self.warnings)}


def store(session: Session, *, actor: Actor, content: bytes, filename: str | None = None, source: str = "api",
          content_type: str = "application/xml", sender: str | None = None,
          whole: tuple[str, int] | None = None) -> tuple[int, bool]:
    """Keep the raw bytes (with SHA-256); returns (document id, is_new). The same bytes twice: the first one.

    One INSERT .. ON CONFLICT DO NOTHING decides: it waits for a concurrent delivery of the same bytes
    to commit, and then (or when they were stored earlier) the stored document is the answer.
    `whole`: (SHA-256, size) of a body too large to keep, of which `content` is only the head.
    """
    digest, size = whole or (hashlib.sha256(content).hexdigest(), len(content))
    row = {"environment_id": actor.environment_id, "sha256": digest, "size": size, "content": content,
           "content_type": content_type[:100], "filename": (filename or "")[:300] or None, "source": source,
           "sender": (sender or "")[:300] or None, "received_by": actor.name}
    document_id = execute(session, _INSERT_IF_NEW[session.get_bind().dialect.name], row).scalar()
    if document_id is None:
        return session.scalars(_FIRST_WITH_DIGEST, {"env": actor.environment_id, "digest": digest}).one(), False
    audit.record(session, actor=actor, action="document.received", target_type="document",
                 target_id=document_id, after={"sha256": digest, "size": size, "source": source,
                                               "filename": filename})
    return document_id, True


_INSERT_IF_NEW = {
    dialect: module.insert(ReceivedDocument).on_conflict_do_nothing(index_elements=["environment_id", "sha256"])
    .returning(ReceivedDocument.id)
    for dialect, module in (("postgresql", postgresql), ("sqlite", sqlite))
}
_FIRST_WITH_DIGEST = select(ReceivedDocument.id).where(ReceivedDocument.environment_id == bindparam("env"),
                                                       ReceivedDocument.sha256 == bindparam("digest"))


def result_of(session: Session, document: ReceivedDocument, *, duplicate: bool = False) -> IngestResult:
    """The stored outcome of a document (what a repeated delivery is answered with)."""
    invoice_id = session.scalars(select(Invoice.id).where(Invoice.document_id == document.id)).first()
    workflow = None
    if document.instance_id is not None:
        workflow = instances.get_instance(session, document.environment_id, document.instance_id).model_key
    return _result(document, invoice_id=invoice_id, workflow=workflow, duplicate=duplicate)


def _result(document: ReceivedDocument, *, invoice_id: int | None, workflow: str | None,
            duplicate: bool = False) -> IngestResult:
    reasons = tuple(r for r in document.reasons if isinstance(r, dict) and r.get("flag", "fatal") == "fatal")
    warnings = tuple(r for r in document.reasons if isinstance(r, dict) and r.get("flag") == "warning")
    return IngestResult(document_id=document.id, status=document.status, invoice_id=invoice_id,
                        instance_id=document.instance_id, workflow=workflow, duplicate=duplicate,
                        reasons=reasons, warnings=warnings, document_type=document.document_type,
                        profile=document.profile)


def process(session: Session, host: Host, *, actor: Actor, document_id: int, report: ValidationReport,
            parsed: ParsedInvoice | None = None, masterdata: MasterData | None = None) -> IngestResult:
    """Act on a validation report: an accepted invoice starts the purchase workflow, else the conversion task.

    `parsed`: the accepted document, already parsed by the caller (outside this transaction).
    """
    # Processing never reads the stored bytes when the caller parsed them: leave them in the database.
    # Locked (PostgreSQL; SQLite's writers take turns): of two runners processing one document at once,
    # the second waits here for the first to commit and then finds it processed.
    document = get_document(session, actor, document_id, with_content=parsed is None, lock=True)
    if document.status != "received":
        return result_of(session, document, duplicate=True)
    findings = [{**f.to_dict(), "flag": "fatal"} for f in report.errors]
    findings += [{**f.to_dict(), "flag": "warning"} for f in report.warnings]
    if not report.accepted:
        parsed = None
    elif parsed is None:
        parsed = _parse(document.content, host)
    invoice_id, workflow = None, None
    if parsed is None:
        _mark(document, report, findings, "rejected")
        document.instance_id = _start_conversion(session, host, actor=actor, document=document)
        workflow = CONVERSION_MODEL
    else:
        waiting = waits_for_manual_start(session, document)
        invoice = _store_invoice(session, actor=actor, document=document, parsed=parsed)
        invoice_id = invoice.id

        def accepted(instance: ProcessInstance) -> None:
            # Marked as the workflow starts: the document's UPDATE joins the one flush of its first step.
            _mark(document, report, findings, "accepted")
            document.instance_id = instance.id

        instance = None
        if not waiting:
            warnings = [f["rule"] for f in findings if f["flag"] == "warning"]
            instance = _start_purchase(session, host, actor=actor, document=document, invoice=invoice,
                                       parsed=parsed, warnings=warnings, link=accepted, masterdata=masterdata)
            workflow = PURCHASE_MODEL
        if instance is None:
            _mark(document, report, findings, "waiting" if waiting else "accepted")
    audit.record(session, actor=actor, action=f"document.{document.status}", target_type="document",
                 target_id=document.id, instance_id=document.instance_id,
                 after={"document_type": document.document_type, "profile": document.profile,
                        "errors": [f["rule"] for f in findings if f["flag"] == "fatal"]})
    session.flush()
    return _result(document, invoice_id=invoice_id,
                   workflow=workflow if document.instance_id is not None else None)


def _mark(document: ReceivedDocument, report: ValidationReport, findings: list[dict[str, Any]], status: str) -> None:
    document.document_type, document.profile = report.document_type, report.profile
    document.reasons, document.status = findings, status


def waits_for_manual_start(session: Session, document: ReceivedDocument) -> bool:
    """A document that names a sender address waits in the inbox unless that sender is trusted.

    Documents without a sender came over an authenticated channel (API token, watched folder) and
    start at once; an e-mailed one may be from anyone, so someone starts it from the inbox.
    """
    address = sender_address(document.sender)
    return bool(address) and not is_trusted_sender(session, address, environment_id=document.environment_id)


def _start_purchase(session: Session, host: Host, *, actor: Actor, document: ReceivedDocument, invoice: Invoice,
                    parsed: ParsedInvoice, warnings: list[str],
                    link: Callable[[ProcessInstance], None] | None = None,
                    masterdata: MasterData | None = None) -> ProcessInstance | None:
    """Start the purchase workflow of a stored invoice (None when no such model is deployed).

    The caller links the document to the returned instance (or in `link`, called with the new instance
    before it runs); the invoice is linked here, before the engine runs, so the steps find it."""
    version = ensure_deployed(session, host, actor=actor, key=PURCHASE_MODEL)
    if version is None:
        return None

    def link_invoice(instance: ProcessInstance) -> None:
        invoice.instance_id = instance.id
        if link is not None:
            link(instance)

    remember_parsed(session, invoice.id, parsed, masterdata)
    data = {**purchase_data(document.id, invoice, parsed, warnings),
            SUBMITTED_BY: submitters(session, document=document, actor=actor)}
    return instances.start(session, host, actor=actor, key=PURCHASE_MODEL, business_key=invoice.number,
                           data=data, version=version, link=link_invoice)


def submitters(session: Session, *, document: ReceivedDocument, actor: Actor) -> list[str]:
    """The people behind a purchase: who uploaded the document and who started it (logins of the
    environment; the template's approvals name them in `fourEyes`, so neither approves their own)."""
    names = list(dict.fromkeys([document.received_by, actor.name]))
    known = execute(session, _KNOWN_LOGINS, {"env": document.environment_id, "names": names}).scalars()
    return sorted(set(known))


# Built once: every purchase start asks it (see server.db.execute).
_KNOWN_LOGINS = select(User.login).where(User.environment_id == bindparam("env"),
                                         User.login.in_(bindparam("names", expanding=True)))


def start_document(session: Session, host: Host, *, actor: Actor, document_id: int,
                   key: str = PURCHASE_MODEL, motivation: str = "") -> ProcessInstance:
    """Start a workflow for a received document by hand (the inbox); an invoice gets its full purchase data,
    `trusted_sender` asks to trust the document's sender (`motivation`: why); system-only models: Forbidden.
    The caller audits (operations.documents.start_document)."""
    document = get_document(session, actor, document_id)
    invoice = session.scalars(select(Invoice).where(Invoice.document_id == document.id)).first()
    if key == PURCHASE_MODEL and invoice is not None:
        if invoice.instance_id is not None and document.status != "waiting":
            raise Conflict(f"document {document.id} already has purchase workflow {invoice.instance_id}",
                           code="already_started", details=[{"instance_id": invoice.instance_id}])
        parsed = parse_invoice(document.content, max_bytes=max(len(document.content), 1))
        warnings = [r["rule"] for r in document.reasons if r.get("flag") == "warning"]
        instance = _start_purchase(session, host, actor=actor, document=document, invoice=invoice, parsed=parsed,
                                   warnings=warnings)
        if instance is None:
            raise NotFound(f"no model {key!r} is deployed", code="model_not_found")
        document.status, document.instance_id = "accepted", instance.id
    elif key == TRUSTED_SENDER_MODEL:
        instance = request_trust(session, host, actor=actor, document=document, motivation=motivation)
    else:
        ensure_deployed(session, host, actor=actor, key=key)
        instance = starts.start_by_hand(session, host, actor=actor, key=key, business_key=f"document-{document.id}",
                                        data={"document_id": document.id, "sender": document.sender or "",
                                              "filename": document.filename or "",
                                              "reasons": [r.get("message") for r in document.reasons]})
    return instance


def request_trust(session: Session, host: Host, *, actor: Actor, document: ReceivedDocument,
                  motivation: str = "") -> ProcessInstance:
    """Ask an admin to trust the sender of a received document (the `trusted_sender` process, a system start
    on the actor's behalf: the address is the document's, never one the requester types)."""
    address = sender_address(document.sender)
    if not address:
        raise InvalidInput(f"document {document.id} names no sender address to trust", code="no_sender")
    if ensure_deployed(session, host, actor=actor, key=TRUSTED_SENDER_MODEL) is None:
        raise NotFound(f"no model {TRUSTED_SENDER_MODEL!r} is deployed", code="model_not_found")
    return instances.start(session, host, actor=actor, key=TRUSTED_SENDER_MODEL, business_key=address[:200],
                           data={"email": address, "motivation": motivation[:2000], "document_id": document.id})


def start_waiting_documents(session: Session, host: Host, *, actor: Actor, sender: str) -> list[int]:
    """Start the purchase workflow of every document of `sender` still waiting for a manual start, and
    answer the refusals held for it."""
    waiting = session.scalars(select(ReceivedDocument).where(
        ReceivedDocument.environment_id == actor.environment_id, ReceivedDocument.status == "waiting")
        .order_by(ReceivedDocument.id)).all()
    started = []
    for document in (d for d in waiting if sender_address(d.sender) == sender_address(sender)):
        instance = start_document(session, host, actor=actor, document_id=document.id)
        audit.record(session, actor=actor, action="document.started", target_type="document",
                     target_id=document.id, instance_id=instance.id, after={"model": PURCHASE_MODEL})
        started.append(instance.id)
    return started + refusals.release_held(session, host, actor=actor, address=sender)


def _parse(content: bytes, host: Host) -> ParsedInvoice | None:
    try:
        return parse_invoice(content, max_bytes=host.settings.max_document_bytes)
    except DocumentError:
        return None


def _store_invoice(session: Session, *, actor: Actor, document: ReceivedDocument, parsed: ParsedInvoice) -> Invoice:
    # One prebuilt INSERT instead of a flush: the workflow's data needs the invoice's id.
    return insert_attached(session, Invoice, {
        "environment_id": actor.environment_id, "document_id": document.id, "document_type": parsed.document_type,
        "number": parsed.id[:200], "supplier_key": supplier_key(facts_from_invoice(parsed).supplier)[:300],
        "supplier_name": parsed.supplier.display_name[:300], "issue_date": parsed.issue_date,
        "due_date": parsed.due_date, "currency": (parsed.currency or "EUR")[:3],
        "payable_amount": parsed.totals.payable, "contact_email": (parsed.supplier.contact.email or None),
        "data": parsed.to_dict()})


def invoice_summary(invoice: Invoice, parsed: ParsedInvoice) -> dict[str, Any]:
    """The invoice fields process data carries (for tasks, lists, gateways and e-mails)."""
    return {
        "id": invoice.id, "number": invoice.number, "document_type": invoice.document_type,
        "supplier_name": invoice.supplier_name, "supplier_country": parsed.supplier.address.country,
        "customer_name": parsed.customer.display_name,
        "payable_amount": str(invoice.payable_amount) if invoice.payable_amount is not None else None,
        "currency": invoice.currency, "issue_date": _iso(invoice.issue_date), "due_date": _iso(invoice.due_date),
        "order_reference": parsed.order_reference, "iban": parsed.iban, "contact_email": invoice.contact_email,
        "lines": len(parsed.lines), "attachments": len(parsed.attachments),
    }


def purchase_data(document_id: int, invoice: Invoice, parsed: ParsedInvoice, warnings: list[str]) -> dict[str, Any]:
    """Initial data of a purchase-invoice instance; `warnings`: the rules the document was warned about."""
    due = parsed.due_date - dt.timedelta(days=APPROVAL_MARGIN_DAYS) if parsed.due_date else None
    return {"document_id": document_id, "invoice_id": invoice.id, "invoice": invoice_summary(invoice, parsed),
            "order_number": parsed.order_reference or "", "approval_due_date": _iso(due),
            "validation_warnings": warnings}


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _start_conversion(session: Session, host: Host, *, actor: Actor, document: ReceivedDocument) -> int | None:
    """The conversion task for a refused document, or None when it is held (unknown sender) or not shipped."""
    instance = refusals.answer_refused(session, host, actor=actor, document=document)
    return instance.id if instance is not None else None


def get_document(session: Session, actor: Actor, document_id: int, *, with_content: bool = True,
                 lock: bool = False) -> ReceivedDocument:
    """A received document of the caller's environment, or NotFound (its bytes loaded on first use
    unless `with_content`; its row locked until the caller's transaction ends when `lock`)."""
    if with_content:
        document = session.get(ReceivedDocument, document_id, with_for_update=lock or None)
    else:
        document = _without_content(session, document_id, lock=lock)
    if document is None or document.environment_id != actor.environment_id:
        raise NotFound(f"document {document_id} not found", code="document_not_found")
    return document


# Built once: ingest reads every received document back this way (an ORM get cost ~0.4 ms of Python).
_WITHOUT_CONTENT = select(*(column for column in ReceivedDocument.__table__.columns if column.key != "content")
                          ).where(ReceivedDocument.id == bindparam("id"))
_WITHOUT_CONTENT_LOCKED = _WITHOUT_CONTENT.with_for_update()


def _without_content(session: Session, document_id: int, *, lock: bool = False) -> ReceivedDocument | None:
    """The document (the one in the session if loaded), else read with a prebuilt statement, its bytes
    left in the database until first used."""
    loaded = session.identity_map.get(session.identity_key(ReceivedDocument, document_id))
    if loaded is not None and not lock:
        return loaded
    if loaded is not None:
        session.refresh(loaded, with_for_update=True)
        return loaded
    row = execute(session, _WITHOUT_CONTENT_LOCKED if lock else _WITHOUT_CONTENT,
                  {"id": document_id}).mappings().one_or_none()
    return attach(session, ReceivedDocument(**row)) if row is not None else None


def get_invoice(session: Session, actor: Actor, invoice_id: int) -> Invoice:
    """An invoice of the caller's environment, or NotFound."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.environment_id != actor.environment_id:
        raise NotFound(f"invoice {invoice_id} not found", code="invoice_not_found")
    return invoice


def ingest(host: Host, *, actor: Actor, content: bytes, filename: str | None = None, source: str = "api",
           sender: str | None = None, content_type: str = "application/xml",
           validator: Validator | None = None) -> IngestResult:
    """Store, validate and process one document; each received document is committed before processing.

    Bytes stored before are answered with the stored outcome, unless that document was left unprocessed
    past the grace period: then this delivery processes it (server.invoices.unprocessed)."""
    with host.db.unit_of_work() as session:
        document_id, is_new = store(session, actor=actor, content=content, filename=filename, source=source,
                                    content_type=content_type, sender=sender)
        if not is_new and (answer := _delivered_again(session, host, actor=actor, document_id=document_id)):
            return answer
    return process_stored(host, actor=actor, document_id=document_id, content=content, validator=validator,
                          recovery=None if is_new else "redelivery")


def _masterdata_outside_the_lock(host: Host, actor: Actor, parsed: ParsedInvoice | None) -> MasterData | None:
    """On SQLite, the master data an accepted invoice matches against, read before its transaction: while
    one process holds the single writer lock, another reads its five look-ups beside it (in WAL mode readers
    never wait for the writer) instead of inside its own turn. It is the data as it stood a moment earlier,
    as a read inside the transaction on PostgreSQL (read committed) is; PostgreSQL has no such lock, and a
    separate read there would only add a transaction's round trips."""
    if parsed is None or host.db.is_postgres:
        return None
    with host.db.reading() as session:
        return snapshot_for(session, environment_id=actor.environment_id, facts=facts_from_invoice(parsed))


def receive(host: Host, *, actor: Actor, body: SpooledBody, filename: str | None = None, source: str = "api",
            sender: str | None = None, content_type: str = "application/xml",
            validator: Validator | None = None) -> IngestResult:
    """`ingest` for a spooled body; one over the limit is stored as head + SHA-256 + size and refused."""
    if not body.too_large:
        return ingest(host, actor=actor, content=body.content(), filename=filename, source=source, sender=sender,
                      content_type=content_type, validator=validator)
    with host.db.unit_of_work() as session:
        document_id, is_new = store(session, actor=actor, content=body.head, filename=filename, source=source,
                                    content_type=content_type, sender=sender, whole=(body.sha256, body.size))
        if not is_new and (answer := _delivered_again(session, host, actor=actor, document_id=document_id)):
            return answer
    return process_stored(host, actor=actor, document_id=document_id, content=body.head,
                          report=too_large(body.size, limit=body.limit, kept=len(body.head)),
                          recovery=None if is_new else "redelivery")


def _delivered_again(session: Session, host: Host, *, actor: Actor, document_id: int) -> IngestResult | None:
    """The answer to bytes stored before: their stored outcome, or None when the document was left
    unprocessed past the grace period and this delivery claimed it (the caller's unit of work commits that)."""
    document = get_document(session, actor, document_id, with_content=False)
    if unprocessed.claim_redelivered(session, document, now=utcnow(), grace=unprocessed.grace(host.settings)):
        return None
    return result_of(session, document, duplicate=True)


def process_stored(host: Host, *, actor: Actor, document_id: int, content: bytes,
                   report: ValidationReport | None = None, validator: Validator | None = None,
                   recovery: str | None = None) -> IngestResult:
    """Validate a stored document outside any transaction, then process it in one (ingest's second half).

    `report`: the verdict when already known (a body too large). `recovery`: how a document left unprocessed
    came to be processed now (audited as `document.recovered`). When another runner processed the document
    first, its outcome is the answer (duplicate)."""
    if report is None:
        report = (validator or default_validator)(content, host.settings.ubl_rules, host.settings.max_document_bytes)
    # Parsed before the transaction: on SQLite it holds the one write lock from its first statement.
    parsed = _parse(content, host) if report.accepted else None
    masterdata = _masterdata_outside_the_lock(host, actor, parsed)
    with host.db.unit_of_work() as session:
        result = process(session, host, actor=actor, document_id=document_id, report=report, parsed=parsed,
                         masterdata=masterdata)
        if recovery is not None and not result.duplicate:
            audit.record(session, actor=actor, action="document.recovered", target_type="document",
                         target_id=document_id, instance_id=result.instance_id,
                         after={"via": recovery, "status": result.status})
        return result


def too_large(size: int, *, limit: int, kept: int) -> ValidationReport:
    """The refusal of a body of `size` bytes over `limit`, of which only the first `kept` bytes are stored."""
    message = (f"refused: too large: the document has {size} bytes; the limit is {limit} "
               f"(only its first {kept} bytes are kept)")
    return ValidationReport(False, None, None, errors=(Finding("too_large", "fatal", "/", message),))


def default_validator(content: bytes, mode: str, max_bytes: int) -> ValidationReport:
    """Validation in the worker pool: Saxon holds the GIL, so it stays off request threads."""
    return validate_in_worker(content, mode=mode, max_bytes=max_bytes)
