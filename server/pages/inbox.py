"""Inbox of received documents: their state, uploading a UBL file, starting a workflow by hand."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from server.errors import InvalidInput
from server.instances.models import ProcessModelVersion
from server.invoices.models import Invoice, ReceivedDocument
from server.invoices.receiving import spool
from server.operations import documents
from server.operations import instances as operations
from server.pages import findings, words
from server.pages.common import Paging, actor, blueprint, host, page, page_number

bp = blueprint("inbox_pages", __name__, url_prefix="/inbox")
PER_PAGE = 25
STATUSES = ("received", "accepted", "rejected")


@bp.get("")
@page("invoices.read")
def inbox() -> ResponseReturnValue:
    who = actor()
    status = request.args.get("status", "")
    number = page_number()
    with host().db.unit_of_work() as db:
        query = select(ReceivedDocument).where(ReceivedDocument.environment_id == who.environment_id)
        if status in STATUSES:
            query = query.where(ReceivedDocument.status == status)
        total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
        docs = db.scalars(query.order_by(ReceivedDocument.id.desc()).options(defer(ReceivedDocument.content))
                          .offset((number - 1) * PER_PAGE).limit(PER_PAGE)).all()
        invoices_by_doc = {i.document_id: i for i in db.scalars(
            select(Invoice).where(Invoice.document_id.in_([d.id for d in docs])))}
        rows = [_row(d, invoices_by_doc.get(d.id)) for d in docs]
        models = model_keys(db, who.environment_id)
    return render_template("inbox/list.html", paging=Paging(rows, total, number, PER_PAGE), status=status,
                           statuses=STATUSES, models=models)


def _row(doc: ReceivedDocument, invoice: Invoice | None) -> dict[str, Any]:
    found = [r for r in doc.reasons or [] if isinstance(r, dict)]
    # A refusal held for an unknown sender says so first: it waits here, unanswered.
    reasons = [r for r in found if r.get("flag") == "hold"] + [r for r in found if r.get("flag", "fatal") == "fatal"]
    return {"id": doc.id, "filename": doc.filename, "source": doc.source, "received_at": doc.received_at,
            "status": doc.status, "type": doc.document_type, "instance_id": doc.instance_id,
            "invoice": invoice, "reasons": findings.findings_words(reasons[:5]), "more": max(0, len(reasons) - 5),
            # a document left unprocessed whose recovery failed: the last error, and how often it was tried
            "recovery_error": doc.recovery_error if doc.status == "received" else None,
            "recovery_attempts": doc.recovery_attempts}


def model_keys(db: Any, environment_id: int) -> list[str]:
    """Deployed model keys of the environment."""
    return list(db.scalars(select(ProcessModelVersion.key).where(
        ProcessModelVersion.environment_id == environment_id).distinct().order_by(ProcessModelVersion.key)))


@bp.post("/upload")
@page("invoices.submit")
def upload() -> ResponseReturnValue:
    file = request.files.get("document")
    if file is None:
        raise InvalidInput(_("Choose a UBL file to upload."), code="no_file")
    # Spooled to disk as it arrives: an oversized file is kept as head + SHA-256 + size and refused.
    with spool(file.stream, limit=host().settings.max_document_bytes) as body:
        if body.size == 0:
            raise InvalidInput(_("Choose a UBL file to upload."), code="no_file")
        result = documents.submit_document(host(), actor=actor(), body=body, filename=file.filename, source="web",
                                           content_type=file.mimetype or "application/xml")
    if result.reasons and result.reasons[0].get("rule") == "too_large":
        message = _("Document %(id)s was refused: %(reason)s", id=result.document_id,
                    reason=findings.finding_words(result.reasons[0]).text)
        return render_template("error.html", status=413, message=message, code="too_large"), 413
    if result.duplicate:
        flash(_("This document was received before (document %(id)s).", id=result.document_id), "info")
    else:
        _tell_outcome(result)
    return redirect(url_for("inbox_pages.inbox"))


@bp.post("/<int:document_id>/process")
@page("invoices.submit")
def process(document_id: int) -> ResponseReturnValue:
    """Process a document left `received` (its process died, or processing failed): the same verb as the API."""
    result = documents.process_document(host(), actor=actor(), document_id=document_id)
    if result.duplicate:  # processed meanwhile by its first delivery or the recovery
        flash(_("Document %(id)s was processed meanwhile.", id=result.document_id), "info")
    else:
        _tell_outcome(result)
    return redirect(url_for("inbox_pages.inbox"))


def _tell_outcome(result: documents.SubmittedDocument) -> None:
    if result.status == "accepted":
        flash(_("Invoice accepted (document %(id)s).", id=result.document_id), "success")
    else:
        flash(_("Document %(id)s was not accepted: %(reasons)s", id=result.document_id,
                reasons="; ".join(_said(f) for f in findings.findings_words(result.reasons[:3]))),
              "error")


def _said(finding: findings.FindingWords) -> str:
    """A finding in a sentence: its rule, its text, and that an official rule's text is English."""
    if not finding.official:
        return finding.text
    return f"{finding.rule} {finding.text}" + (f" ({_('official rule text, in English')})"
                                               if words.language() != "en" else "")


@bp.post("/start")
@page("instances.start")
def start() -> ResponseReturnValue:
    """Start the newest version of a model, for a received document or on its own."""
    who = actor()
    key = request.form.get("model", "").strip()
    business_key = request.form.get("business_key", "").strip() or None
    document_id = request.form.get("document_id", "")
    with host().db.unit_of_work() as db:
        if document_id.isdigit():
            # The same verb as the API: an invoice gets its full purchase data, a second start is refused.
            instance_id = documents.start_document(db, host(), actor=who, document_id=int(document_id),
                                                   model=key).instance_id
        else:
            instance_id = operations.start_instance(db, host(), actor=who, key=key, data={},
                                                    business_key=business_key).id
    flash(_("Workflow %(key)s started.", key=key), "success")
    return redirect(url_for("instance_pages.instance_page", instance_id=instance_id))
