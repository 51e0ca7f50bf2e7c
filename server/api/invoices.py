"""POST /api/v1/invoices and the received documents (the inbox)."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import defer

from server.api.auth import current_actor, host, requires
from server.api.paging import next_offset, paging
from server.errors import InvalidInput, NotFound, PayloadTooLarge
from server.invoices import attachments
from server.invoices import service as ingestion
from server.invoices.models import ReceivedDocument
from server.invoices.receiving import CHUNK_BYTES, SpooledBody, spool
from server.operations import documents, invoice_review

bp = Blueprint("api_invoices", __name__, url_prefix="/api/v1")
START_BODY_BYTES = 64 * 1024
REJECTION_CODES = {"empty", "too_large", "not_xml", "doctype_forbidden", "too_deep", "too_many_elements",
                   "not_ubl", "not_an_invoice"}


def _body() -> tuple[SpooledBody, str | None, str]:
    """The document from a raw body, or from the `file` field of a multipart upload, spooled to disk as it
    arrives (werkzeug already keeps a multipart file part over 500 KB in a temporary file)."""
    limit = host().settings.max_document_bytes
    upload = request.files.get("file")
    if upload is not None:
        return spool(upload.stream, limit=limit), upload.filename, upload.mimetype or "application/xml"
    return (spool(request.stream, limit=limit), request.headers.get("X-Filename"),
            request.mimetype or "application/xml")


@bp.post("/invoices")
@requires("invoices.submit")
def submit_invoice() -> tuple[Response, int]:
    actor = current_actor()
    sender = request.headers.get("X-Sender") or request.args.get("sender")
    spooled, filename, content_type = _body()
    with spooled:
        result = documents.submit_document(host(), actor=actor, body=spooled, filename=filename, sender=sender,
                                           content_type=content_type)
    body = result.to_dict()
    if result.status == "rejected":
        first = result.reasons[0] if result.reasons else {"rule": "rejected", "message": "document refused"}
        code = first["rule"] if first["rule"] in REJECTION_CODES else "document_rejected"
        status = 413 if code == "too_large" else 422
        message = ("the document is not an invoice this server accepts: " + first["message"]
                   if code in REJECTION_CODES else f"the document breaks {len(result.reasons)} e-invoice rule(s)")
        return jsonify({"error": {"code": code, "message": message, "details": list(result.reasons)}, **body}), status
    return jsonify(body), 200 if result.duplicate else 201


def document_json(document: ReceivedDocument) -> dict[str, Any]:
    return {"id": document.id, "sha256": document.sha256, "size": document.size, "filename": document.filename,
            "source": document.source, "sender": document.sender, "status": document.status,
            "document_type": document.document_type, "profile": document.profile,
            "received_at": document.received_at.isoformat(), "received_by": document.received_by,
            "instance_id": document.instance_id, "reasons": document.reasons}


@bp.get("/documents")
@requires("invoices.read")
def list_documents() -> Response:
    actor = current_actor()
    page = paging()
    status = request.args.get("status")
    query = select(ReceivedDocument).where(ReceivedDocument.environment_id == actor.environment_id)
    if status:
        query = query.where(ReceivedDocument.status == status)
    with host().db.unit_of_work() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(ReceivedDocument.id.desc()).options(defer(ReceivedDocument.content))
                               .offset(page.offset()).limit(page.limit)).all()
        cursor = next_offset(page, returned=len(rows), more=page.offset() + len(rows) < total)
        return jsonify({"items": [document_json(d) for d in rows], "total": total, "next_cursor": cursor})


@bp.get("/documents/<int:document_id>")
@requires("invoices.read")
def get_document(document_id: int) -> Response:
    with host().db.unit_of_work() as session:
        return jsonify(document_json(ingestion.get_document(session, current_actor(), document_id)))


@bp.get("/documents/<int:document_id>/content")
@requires("invoices.read")
def document_content(document_id: int) -> Response:
    with host().db.unit_of_work() as session:
        document = ingestion.get_document(session, current_actor(), document_id)
        name = f"document-{document.id}.xml"
        return Response(document.content, mimetype="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "X-Content-Type-Options": "nosniff"})


def _small_json() -> Any:
    """A JSON body of at most START_BODY_BYTES (None if it is not JSON); a larger one is read away
    unkept, so the client is answered 413 rather than cut off mid-upload."""
    stream, raw = request.stream, bytearray()
    while len(raw) <= START_BODY_BYTES and (chunk := stream.read(START_BODY_BYTES + 1 - len(raw))):
        raw += chunk
    if len(raw) > START_BODY_BYTES:
        while stream.read(CHUNK_BYTES):
            pass
        raise PayloadTooLarge(f"a start request is a small JSON object (at most {START_BODY_BYTES} bytes)",
                              code="payload_too_large")
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


@bp.post("/documents/<int:document_id>/process")
@requires("invoices.submit")
def process_document(document_id: int) -> tuple[Response, int]:
    """Process a stored document left `received` (its process died, or processing failed); answered as a
    submission is: the document's outcome, its invoice and workflow."""
    result = documents.process_document(host(), actor=current_actor(), document_id=document_id)
    return jsonify(result.to_dict()), 200


@bp.post("/documents/<int:document_id>/start")
@requires("instances.start")
def start_from_document(document_id: int) -> tuple[Response, int]:
    """Start a workflow manually for a received document (default: the purchase invoice)."""
    actor = current_actor()
    payload = _small_json() or {}
    if not isinstance(payload, dict):
        raise InvalidInput('send a JSON object: {"model": KEY}', code="invalid_json")
    with host().db.unit_of_work() as session:
        started = documents.start_document(session, host(), actor=actor, document_id=document_id,
                                           model=payload.get("model", ingestion.PURCHASE_MODEL),
                                           motivation=payload.get("motivation") or "")
    return jsonify({"instance_id": started.instance_id, "status": started.status, "model": started.model}), 201


@bp.get("/invoices/<int:invoice_id>")
@requires("invoices.read")
def get_invoice(invoice_id: int) -> Response:
    with host().db.unit_of_work() as session:
        invoice = ingestion.get_invoice(session, current_actor(), invoice_id)
        review = invoice_review.for_invoice(session, actor=current_actor(), invoice_id=invoice_id)
        return jsonify({"review": review.to_json(), "id": invoice.id, "document_id": invoice.document_id, "instance_id": invoice.instance_id,
                        "number": invoice.number, "supplier_name": invoice.supplier_name,
                        "payable_amount": str(invoice.payable_amount) if invoice.payable_amount is not None else None,
                        "currency": invoice.currency, "status": invoice.status, "data": invoice.data,
                        "collection": invoice.collection})


@bp.get("/invoices/<int:invoice_id>/attachments/<int:index>")
@requires("invoices.read")
def invoice_attachment(invoice_id: int, index: int) -> Response:
    """Embedded attachment `index` (from 1, as on the task page), always as a download with a safe type."""
    with host().db.unit_of_work() as session:
        invoice = ingestion.get_invoice(session, current_actor(), invoice_id)
        content = ingestion.get_document(session, current_actor(), invoice.document_id).content
    attachment = attachments.numbered(content, index)
    if attachment is None or attachment.content is None:
        raise NotFound(f"invoice {invoice_id} has no embedded attachment {index} (the first is 1)",
                       code="attachment_not_found")
    mime = attachment.mime_type if attachment.mime_type in ("application/pdf", "image/png", "image/jpeg") else (
        "application/octet-stream")
    name = attachments.download_name(attachment, index)
    return Response(attachment.content, mimetype=mime,
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff"})
